//! `point` (a struct in Debezium) and PostGIS `geometry`/`geography`.
//!
//! The other geometric types (`line`, `lseg`, `box`, `path`, `polygon`, `circle`) have no
//! Debezium mapping beyond their text, so they stay [`Value::Text`] (see `text.rs`).

use tributary_envelope::Value;

use super::text::{hex_digit, utf8};

/// `point_out`: `(x,y)` with each coordinate as `float8out` writes it (`NaN`,
/// `Infinity` included).
pub(super) fn point(t: &[u8]) -> Result<Value, &'static str> {
    const SYNTAX: &str = "expected (x,y)";
    let inner = t
        .strip_prefix(b"(")
        .and_then(|r| r.strip_suffix(b")"))
        .ok_or(SYNTAX)?;
    let s = utf8(inner)?;
    let (x, y) = s.split_once(',').ok_or(SYNTAX)?;
    let coordinate = |c: &str| -> Result<f64, &'static str> {
        match super::numeric::float8(c.trim().as_bytes()) {
            Ok(Value::Float64(v)) => Ok(v),
            _ => Err("point coordinate is not a float8"),
        }
    };
    Ok(Value::Point {
        x: coordinate(x)?,
        y: coordinate(y)?,
    })
}

/// EWKB type flag: an SRID follows the type word (PostGIS `liblwgeom`, `WKBSRIDFLAG`).
const EWKB_SRID_FLAG: u32 = 0x2000_0000;

/// PostGIS `geometry_out`/`geography_out`: hex-encoded EWKB. Debezium's
/// `PostgisGeometry.fromHexEwkb` keeps the EWKB bytes as they are (SRID flag and all) and
/// reads the SRID from them; so does this.
pub(super) fn geometry(t: &[u8]) -> Result<Value, &'static str> {
    const SYNTAX: &str = "expected hex-encoded EWKB";
    if !t.len().is_multiple_of(2) {
        return Err(SYNTAX);
    }
    let mut wkb = Vec::with_capacity(t.len() / 2);
    for pair in t.chunks_exact(2) {
        match (
            pair.first().copied().and_then(hex_digit),
            pair.get(1).copied().and_then(hex_digit),
        ) {
            (Some(hi), Some(lo)) => wkb.push(hi << 4 | lo),
            _ => return Err(SYNTAX),
        }
    }
    let word = |at: usize| -> Option<u32> {
        let b: [u8; 4] = wkb.get(at..at + 4)?.try_into().ok()?;
        Some(match wkb.first() {
            Some(0) => u32::from_be_bytes(b),
            _ => u32::from_le_bytes(b),
        })
    };
    let ty = word(1).ok_or("EWKB shorter than its header")?;
    let srid = if ty & EWKB_SRID_FLAG != 0 {
        Some(word(5).ok_or("EWKB SRID flag set but no SRID")?)
    } else {
        None
    };
    Ok(Value::Geometry {
        wkb: wkb.into_boxed_slice(),
        srid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_read_float8_coordinates() {
        assert_eq!(point(b"(1.5,-2)"), Ok(Value::Point { x: 1.5, y: -2.0 }));
        assert_eq!(
            point(b"(Infinity,-1e+300)"),
            Ok(Value::Point {
                x: f64::INFINITY,
                y: -1e300
            })
        );
        assert!(matches!(point(b"(NaN,0)"), Ok(Value::Point { x, .. }) if x.is_nan()));
        for bad in ["", "()", "(1)", "1,2", "(1,2,3)", "(a,b)"] {
            assert!(point(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn geometry_keeps_ewkb_and_reads_the_srid() {
        let hex = b"0101000020E6100000000000000000F03F0000000000000040";
        let Ok(Value::Geometry { wkb, srid }) = geometry(hex) else {
            panic!()
        };
        assert_eq!(srid, Some(4326));
        assert_eq!(wkb.len(), 25);
        let plain = b"0101000000000000000000F03F0000000000000040";
        assert!(matches!(
            geometry(plain),
            Ok(Value::Geometry { srid: None, .. })
        ));
        assert!(geometry(b"01").is_err());
        assert!(geometry(b"0101000020").is_err());
        assert!(geometry(b"zz").is_err());
    }
}

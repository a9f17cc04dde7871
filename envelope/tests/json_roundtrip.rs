//! Property: for random schemas (nested structs, arrays and maps of primitives) and random
//! matching values, the JSON parses with serde_json and decodes back, per the schema, to the
//! original values; with schemas enabled the `"schema"` part is the schema's own JSON.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::borrow::Cow;

use base64::Engine as _;
use proptest::prelude::*;
use serde_json::Value as Json;
use tributary_envelope::{
    Datum, JsonConverter, JsonConverterConfig, Schema, SchemaBuilder, SchemaRef, SchemaType,
};

const PRIMITIVES: [SchemaType; 9] = [
    SchemaType::Boolean,
    SchemaType::Int8,
    SchemaType::Int16,
    SchemaType::Int32,
    SchemaType::Int64,
    SchemaType::Float32,
    SchemaType::Float64,
    SchemaType::Bytes,
    SchemaType::String,
];

fn schema_strategy() -> impl Strategy<Value = SchemaRef> {
    let leaf = (prop::sample::select(&PRIMITIVES[..]), any::<bool>()).prop_map(|(ty, optional)| {
        SchemaBuilder::primitive(ty)
            .unwrap()
            .optional_if(optional)
            .build()
            .unwrap()
    });
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            (inner.clone(), any::<bool>()).prop_map(|(items, optional)| {
                SchemaBuilder::array(items)
                    .optional_if(optional)
                    .build()
                    .unwrap()
            }),
            (any::<bool>(), inner.clone(), any::<bool>()).prop_map(
                |(string_keys, values, optional)| {
                    let keys = if string_keys {
                        SchemaBuilder::string().build().unwrap()
                    } else {
                        SchemaBuilder::int32().build().unwrap()
                    };
                    SchemaBuilder::map(keys, values)
                        .optional_if(optional)
                        .build()
                        .unwrap()
                }
            ),
            (
                prop::collection::vec(inner, 1..5),
                any::<bool>(),
                "[a-z\"\\\\é\n]{0,6}"
            )
                .prop_map(|(fields, optional, name)| {
                    let mut b = SchemaBuilder::structure().optional_if(optional).name(name);
                    for (i, f) in fields.into_iter().enumerate() {
                        b = b.field(format!("f{i}"), f);
                    }
                    b.build().unwrap()
                }),
        ]
    })
}

fn value_strategy(schema: &SchemaRef) -> BoxedStrategy<Datum<'static>> {
    let non_null: BoxedStrategy<Datum<'static>> = match schema.schema_type() {
        SchemaType::Boolean => any::<bool>().prop_map(Datum::Boolean).boxed(),
        SchemaType::Int8 => any::<i8>().prop_map(Datum::Int8).boxed(),
        SchemaType::Int16 => any::<i16>().prop_map(Datum::Int16).boxed(),
        SchemaType::Int32 => any::<i32>().prop_map(Datum::Int32).boxed(),
        SchemaType::Int64 => any::<i64>().prop_map(Datum::Int64).boxed(),
        SchemaType::Float32 => any::<u32>()
            .prop_map(|b| Datum::Float32(f32::from_bits(b)))
            .boxed(),
        SchemaType::Float64 => any::<u64>()
            .prop_map(|b| Datum::Float64(f64::from_bits(b)))
            .boxed(),
        SchemaType::Bytes => prop::collection::vec(any::<u8>(), 0..20)
            .prop_map(|b| Datum::Bytes(Cow::Owned(b)))
            .boxed(),
        SchemaType::String => any::<String>()
            .prop_map(|s| Datum::String(Cow::Owned(s)))
            .boxed(),
        SchemaType::Array => {
            let items = schema.value_schema().unwrap();
            prop::collection::vec(value_strategy(items), 0..4)
                .prop_map(Datum::array_owned)
                .boxed()
        }
        SchemaType::Map => {
            let values = value_strategy(schema.value_schema().unwrap());
            if schema.key_schema().unwrap().schema_type() == SchemaType::String {
                // Unique keys: a JSON object cannot hold the same key twice.
                prop::collection::btree_map(any::<String>(), values, 0..4)
                    .prop_map(|m| {
                        Datum::map_owned(
                            m.into_iter()
                                .map(|(k, v)| (Datum::String(Cow::Owned(k)), v))
                                .collect(),
                        )
                    })
                    .boxed()
            } else {
                prop::collection::vec((any::<i32>().prop_map(Datum::Int32), values), 0..4)
                    .prop_map(Datum::map_owned)
                    .boxed()
            }
        }
        SchemaType::Struct => {
            let fields: Vec<_> = schema
                .fields()
                .iter()
                .map(|f| value_strategy(f.schema()))
                .collect();
            fields.prop_map(Datum::structure_owned).boxed()
        }
    };
    if schema.is_optional() {
        prop_oneof![1 => Just(Datum::Null), 4 => non_null].boxed()
    } else {
        non_null
    }
}

fn case_strategy() -> impl Strategy<Value = (SchemaRef, Datum<'static>)> {
    schema_strategy().prop_flat_map(|s| {
        let values = value_strategy(&s);
        (Just(s), values)
    })
}

/// Decodes a JsonConverter payload back into a Datum, following the schema.
fn decode(schema: &Schema, json: &Json) -> Datum<'static> {
    if json.is_null() {
        assert!(schema.is_optional(), "null for a required schema");
        return Datum::Null;
    }
    let float = |j: &Json| -> f64 {
        match j {
            Json::String(s) if s == "NaN" => f64::NAN,
            Json::String(s) if s == "Infinity" => f64::INFINITY,
            Json::String(s) if s == "-Infinity" => f64::NEG_INFINITY,
            other => other.as_f64().unwrap(),
        }
    };
    match schema.schema_type() {
        SchemaType::Boolean => Datum::Boolean(json.as_bool().unwrap()),
        SchemaType::Int8 => Datum::Int8(json.as_i64().unwrap().try_into().unwrap()),
        SchemaType::Int16 => Datum::Int16(json.as_i64().unwrap().try_into().unwrap()),
        SchemaType::Int32 => Datum::Int32(json.as_i64().unwrap().try_into().unwrap()),
        SchemaType::Int64 => Datum::Int64(json.as_i64().unwrap()),
        SchemaType::Float32 => Datum::Float32(float(json) as f32),
        SchemaType::Float64 => Datum::Float64(float(json)),
        SchemaType::Bytes => Datum::Bytes(Cow::Owned(
            base64::engine::general_purpose::STANDARD
                .decode(json.as_str().unwrap())
                .unwrap(),
        )),
        SchemaType::String => Datum::String(Cow::Owned(json.as_str().unwrap().to_owned())),
        SchemaType::Array => {
            let items = schema.value_schema().unwrap();
            Datum::array_owned(
                json.as_array()
                    .unwrap()
                    .iter()
                    .map(|j| decode(items, j))
                    .collect(),
            )
        }
        SchemaType::Map => {
            let values = schema.value_schema().unwrap();
            if schema.key_schema().unwrap().schema_type() == SchemaType::String {
                let obj = json.as_object().unwrap();
                Datum::map_owned(
                    obj.iter()
                        .map(|(k, v)| (Datum::String(Cow::Owned(k.clone())), decode(values, v)))
                        .collect(),
                )
            } else {
                let keys = schema.key_schema().unwrap();
                Datum::map_owned(
                    json.as_array()
                        .unwrap()
                        .iter()
                        .map(|pair| {
                            let pair = pair.as_array().unwrap();
                            assert_eq!(pair.len(), 2);
                            (decode(keys, &pair[0]), decode(values, &pair[1]))
                        })
                        .collect(),
                )
            }
        }
        SchemaType::Struct => {
            let obj = json.as_object().unwrap();
            assert_eq!(obj.len(), schema.fields().len());
            Datum::structure_owned(
                schema
                    .fields()
                    .iter()
                    .map(|f| decode(f.schema(), &obj[f.name()]))
                    .collect(),
            )
        }
    }
}

/// Equality that treats NaN as equal to NaN and compares float bits otherwise (-0.0 != 0.0).
fn same<'a>(a: &Datum<'a>, b: &Datum<'a>) -> bool {
    match (a, b) {
        (Datum::Float32(x), Datum::Float32(y)) => {
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        (Datum::Float64(x), Datum::Float64(y)) => {
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        (Datum::Array(x), Datum::Array(y)) | (Datum::Struct(x), Datum::Struct(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(a, b)| same(a, b))
        }
        (Datum::Map(x), Datum::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.iter().any(|(k2, v2)| same(k, k2) && same(v, v2)))
        }
        _ => a == b,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn payload_decodes_back_to_the_value((schema, value) in case_strategy()) {
        let off = JsonConverter::new(JsonConverterConfig { schemas_enable: false, replace_null_with_default: true });
        let mut out = Vec::new();
        off.write(Some(&schema), &value, &mut out).unwrap();
        let parsed: Json = serde_json::from_slice(&out).unwrap();
        let back = decode(&schema, &parsed);
        prop_assert!(same(&back, &value), "{}\n{:?}\n{:?}", String::from_utf8_lossy(&out), back, value);

        let on = JsonConverter::new(JsonConverterConfig::default());
        let mut with_schema = Vec::new();
        on.write(Some(&schema), &value, &mut with_schema).unwrap();
        let parsed: Json = serde_json::from_slice(&with_schema).unwrap();
        let obj = parsed.as_object().unwrap();
        prop_assert_eq!(obj.len(), 2);
        let schema_json: Json = serde_json::from_slice(schema.json()).unwrap();
        prop_assert_eq!(&obj["schema"], &schema_json);
        prop_assert!(same(&decode(&schema, &obj["payload"]), &value));
        // The envelope is exactly the schema bytes and the payload bytes spliced together.
        let mut expected = b"{\"schema\":".to_vec();
        expected.extend_from_slice(schema.json());
        expected.extend_from_slice(b",\"payload\":");
        expected.extend_from_slice(&out);
        expected.push(b'}');
        prop_assert_eq!(with_schema, expected);
    }
}

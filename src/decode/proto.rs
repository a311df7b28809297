//! Protobuf by `.proto` source, compiled at start-up (protox, no `protoc`)
//! and read with prost-reflect's dynamic messages.

use std::path::{Path, PathBuf};

use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};

use crate::record::Direction;

/// Why the `.proto` files cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtoError {
    #[error("cannot compile {files}: {reason}")]
    Compile { files: String, reason: String },
    #[error("no message type {name:?} in the .proto files (they define: {known})")]
    UnknownType { name: String, known: String },
    #[error("the .proto files define {count} message types ({known}): pick one with --proto-type")]
    Ambiguous { count: usize, known: String },
    #[error("the .proto files define no message type")]
    NoMessages,
}

/// The message types frames are read as, per direction.
#[derive(Debug, Clone)]
pub struct ProtoTypes {
    received: MessageDescriptor,
    sent: MessageDescriptor,
}

/// Which types were asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypeChoice {
    /// Both directions, unless one of the others is given.
    pub both: Option<String>,
    /// Frames received.
    pub received: Option<String>,
    /// Frames sent.
    pub sent: Option<String>,
}

impl ProtoTypes {
    /// Compiles `files` (their folders are the include path) and picks the
    /// types: the named ones, else the only message type the files define.
    pub fn load(files: &[PathBuf], choice: &TypeChoice) -> Result<Self, ProtoError> {
        let pool = compile(files)?;
        let own: Vec<MessageDescriptor> = pool
            .all_messages()
            .filter(|m| !m.parent_file().name().starts_with("google/protobuf/"))
            // Nested types (map entries among them) are not frames.
            .filter(|m| m.parent_message().is_none())
            .collect();
        let known = || {
            let names: Vec<&str> = own.iter().map(MessageDescriptor::full_name).collect();
            names.join(", ")
        };
        let find = |name: &str| {
            own.iter()
                .find(|m| m.full_name() == name || m.name() == name)
                .cloned()
                .or_else(|| pool.get_message_by_name(name))
                .ok_or_else(|| ProtoError::UnknownType {
                    name: name.to_string(),
                    known: known(),
                })
        };
        let default = match &choice.both {
            Some(name) => Some(find(name)?),
            None => None,
        };
        let only = || match own.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(ProtoError::NoMessages),
            many => Err(ProtoError::Ambiguous {
                count: many.len(),
                known: known(),
            }),
        };
        let pick = |named: &Option<String>| match (named, &default) {
            (Some(name), _) => find(name),
            (None, Some(default)) => Ok(default.clone()),
            (None, None) => only(),
        };
        Ok(Self {
            received: pick(&choice.received)?,
            sent: pick(&choice.sent)?,
        })
    }

    fn descriptor(&self, direction: Direction) -> &MessageDescriptor {
        match direction {
            Direction::Received => &self.received,
            Direction::Sent => &self.sent,
        }
    }

    /// The type's full name for `direction`.
    pub fn type_name(&self, direction: Direction) -> &str {
        self.descriptor(direction).full_name()
    }

    /// A frame as JSON (Protobuf's canonical JSON mapping).
    pub fn decode(&self, direction: Direction, payload: &[u8]) -> Result<serde_json::Value, String> {
        let descriptor = self.descriptor(direction);
        let message = DynamicMessage::decode(descriptor.clone(), payload)
            .map_err(|e| format!("not a {}: {e}", descriptor.full_name()))?;
        serde_json::to_value(&message).map_err(|e| e.to_string())
    }

    /// JSON text as the bytes of a sent message.
    pub fn encode(&self, json: &str) -> Result<Vec<u8>, String> {
        let descriptor = self.descriptor(Direction::Sent);
        let mut deserializer = serde_json::Deserializer::from_str(json);
        let message = DynamicMessage::deserialize(descriptor.clone(), &mut deserializer)
            .map_err(|e| format!("not a {} in JSON: {e}", descriptor.full_name()))?;
        deserializer
            .end()
            .map_err(|e| format!("not a {} in JSON: {e}", descriptor.full_name()))?;
        Ok(message.encode_to_vec())
    }
}

fn compile(files: &[PathBuf]) -> Result<DescriptorPool, ProtoError> {
    let names = || {
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        names.join(", ")
    };
    let error = |reason: String| ProtoError::Compile { files: names(), reason };
    let includes: Vec<PathBuf> = files
        .iter()
        .map(|f| {
            f.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_path_buf()
        })
        .collect();
    let mut compiler = protox::Compiler::new(&includes).map_err(|e| error(e.to_string()))?;
    compiler.include_imports(true);
    compiler.open_files(files).map_err(|e| error(e.to_string()))?;
    Ok(compiler.descriptor_pool())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What prost's derive (the reference encoder) writes for `market.Trade`.
    #[derive(Clone, PartialEq, prost::Message)]
    struct Trade {
        #[prost(string, tag = "1")]
        sym: String,
        #[prost(double, tag = "2")]
        px: f64,
        #[prost(uint64, tag = "3")]
        qty: u64,
        #[prost(int32, tag = "4")]
        side: i32,
        #[prost(bytes = "vec", tag = "5")]
        venue: Vec<u8>,
    }

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
    }

    #[test]
    fn a_one_message_schema_needs_no_type_name() {
        let types = ProtoTypes::load(&[fixture("trade.proto")], &TypeChoice::default()).unwrap();
        assert_eq!(types.type_name(Direction::Received), "market.Trade");
        let bytes = Trade {
            sym: "PRB".into(),
            px: 101.25,
            qty: 7,
            side: 1,
            venue: vec![1, 2],
        }
        .encode_to_vec();
        let value = types.decode(Direction::Received, &bytes).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"sym": "PRB", "px": 101.25, "qty": "7", "side": "SELL", "venue": "AQI="})
        );
        let back = types.encode(&value.to_string()).unwrap();
        assert_eq!(Trade::decode(&back[..]).unwrap().sym, "PRB");
        assert!(
            types
                .decode(Direction::Received, &[0xff, 0xff])
                .unwrap_err()
                .contains("not a market.Trade")
        );
    }

    #[test]
    fn several_messages_need_a_name_per_direction() {
        let files = [fixture("two.proto")];
        let error = ProtoTypes::load(&files, &TypeChoice::default()).unwrap_err();
        assert!(matches!(error, ProtoError::Ambiguous { count: 2, .. }), "{error}");
        let types = ProtoTypes::load(
            &files,
            &TypeChoice {
                both: None,
                received: Some("Pong".into()),
                sent: Some("two.Ping".into()),
            },
        )
        .unwrap();
        assert_eq!(
            (types.type_name(Direction::Received), types.type_name(Direction::Sent)),
            ("two.Pong", "two.Ping")
        );
        let unknown = ProtoTypes::load(
            &files,
            &TypeChoice {
                both: Some("Nope".into()),
                ..TypeChoice::default()
            },
        )
        .unwrap_err();
        assert!(unknown.to_string().contains("two.Ping, two.Pong"), "{unknown}");
        let broken = ProtoTypes::load(&[fixture("missing.proto")], &TypeChoice::default()).unwrap_err();
        assert!(matches!(broken, ProtoError::Compile { .. }), "{broken}");
    }
}

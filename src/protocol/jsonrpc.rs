//! JSON-RPC 2.0 over WebSocket (Ethereum nodes, language servers, trading
//! APIs): calls composed as `method {params}` with ids assigned, and rows
//! that say what each message is.

use serde_json::{Map, Value, json};

use super::{Protocol, Speaks};

/// JSON-RPC 2.0: calls with ids assigned, rows that name each message.
/// Nothing to do on the connection itself.
pub struct JsonRpc;

impl Speaks for JsonRpc {
    fn name(&self) -> &'static str {
        "jsonrpc"
    }

    fn label(&self) -> &'static str {
        "json-rpc"
    }

    fn about(&self) -> &'static str {
        "JSON-RPC 2.0: calls with ids assigned, rows that name each message"
    }

    fn encode(&self, text: &str, _options: &Protocol, next_id: &mut u64) -> Result<String, String> {
        encode(text, next_id)
    }

    fn describe(&self, text: &str) -> Option<String> {
        describe(text)
    }

    // Calls and notifications by method; replies read `result` or
    // `error`, their request's method being in the request.
    fn message_type(&self, head: &[u8], _binary: bool, _options: &Protocol) -> Option<String> {
        let text = crate::json_peek::utf8_prefix(head).trim_start();
        if text.starts_with('[') {
            return Some("batch".into());
        }
        if let Some(method) = crate::json_peek::first_string_field(head, &["method"]) {
            return Some(method.into_owned());
        }
        [("\"error\"", "error"), ("\"result\"", "result")]
            .into_iter()
            .find(|(key, _)| text.contains(key))
            .map(|(_, name)| name.to_string())
    }
}

/// The composer's text as a JSON-RPC message. `method {params}`,
/// `method [params]` or a bare `method` becomes a call with the next id;
/// a JSON object or array (a full request, a notification, a batch) is sent
/// as typed, with `"jsonrpc": "2.0"` added where it is missing.
pub fn encode(text: &str, next_id: &mut u64) -> Result<String, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("a JSON-RPC call is `method {params}`, `method [params]` or a request object".into());
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let mut value: Value = serde_json::from_str(trimmed).map_err(|e| format!("not JSON: {e}"))?;
        let objects: Vec<&mut Map<String, Value>> = match &mut value {
            Value::Object(object) => vec![object],
            Value::Array(items) => items.iter_mut().filter_map(Value::as_object_mut).collect(),
            _ => Vec::new(),
        };
        for object in objects {
            object.entry("jsonrpc").or_insert_with(|| Value::String("2.0".into()));
        }
        return Ok(value.to_string());
    }
    let (method, params) = match trimmed.find(|c: char| c.is_whitespace() || c == '{' || c == '[') {
        Some(at) => (&trimmed[..at], trimmed[at..].trim()),
        None => (trimmed, ""),
    };
    let mut call = json!({ "jsonrpc": "2.0", "id": *next_id, "method": method });
    if !params.is_empty() {
        let params: Value = serde_json::from_str(params).map_err(|e| format!("the params are not JSON: {e}"))?;
        if !(params.is_object() || params.is_array()) {
            return Err("JSON-RPC params are an object {…} or an array […]".into());
        }
        call["params"] = params;
    }
    *next_id += 1;
    Ok(call.to_string())
}

/// A message in one line: `call #3 eth_blockNumber []`, `result #3 "0x10"`,
/// `error #3 -32601 Method not found`, `notify eth_subscription {…}`.
pub fn describe(text: &str) -> Option<String> {
    let value: Value = serde_json::from_str(text.trim_start()).ok()?;
    match &value {
        Value::Array(items) => Some(format!("batch of {}", items.len())),
        Value::Object(object) if object.contains_key("jsonrpc") || object.contains_key("method") => {
            let id = object.get("id").filter(|id| !id.is_null()).map(|id| format!("#{id} "));
            let line = if let Some(method) = object.get("method").and_then(Value::as_str) {
                let params = object.get("params").map(Value::to_string).unwrap_or_default();
                match id {
                    Some(id) => format!("call {id}{method} {params}"),
                    None => format!("notify {method} {params}"),
                }
            } else if let Some(error) = object.get("error") {
                let code = error.get("code").map(Value::to_string).unwrap_or_default();
                let message = error.get("message").and_then(Value::as_str).unwrap_or_default();
                format!("error {}{code} {message}", id.unwrap_or_default())
            } else if let Some(result) = object.get("result") {
                format!("result {}{result}", id.unwrap_or_default())
            } else {
                return None;
            };
            Some(line.trim_end().to_string())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(text: &str, id: &mut u64) -> Value {
        serde_json::from_str(&encode(text, id).unwrap()).unwrap()
    }

    #[test]
    fn calls_get_ids_and_requests_get_the_version() {
        let mut id = 1;
        assert_eq!(
            call("eth_blockNumber", &mut id),
            json!({"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"})
        );
        assert_eq!(
            call(r#"say_hello {"name":"x"}"#, &mut id),
            json!({"jsonrpc":"2.0","id":2,"method":"say_hello","params":{"name":"x"}})
        );
        assert_eq!(call("add[1, 2]", &mut id)["params"], json!([1, 2]));
        assert_eq!(
            call(r#"{"method":"m","id":"a"}"#, &mut id),
            json!({"jsonrpc":"2.0","method":"m","id":"a"})
        );
        assert_eq!(id, 4, "a typed request keeps its own id");
        assert!(encode("m 5", &mut id).unwrap_err().contains("object"));
        assert!(encode("m {oops", &mut id).unwrap_err().contains("not JSON"));
        assert!(encode("  ", &mut id).is_err());
    }

    #[test]
    fn messages_describe_themselves() {
        assert_eq!(
            describe(r#"{"jsonrpc":"2.0","id":3,"method":"say_hello","params":["x"]}"#).as_deref(),
            Some(r#"call #3 say_hello ["x"]"#)
        );
        assert_eq!(
            describe(r#"{"jsonrpc":"2.0","id":3,"result":"hello"}"#).as_deref(),
            Some(r#"result #3 "hello""#)
        );
        assert_eq!(
            describe(r#"{"jsonrpc":"2.0","id":4,"error":{"code":-32601,"message":"Method not found"}}"#).as_deref(),
            Some("error #4 -32601 Method not found")
        );
        assert_eq!(
            describe(r#"{"jsonrpc":"2.0","method":"tick","params":{"subscription":1,"result":5}}"#).as_deref(),
            Some(r#"notify tick {"subscription":1,"result":5}"#)
        );
        assert_eq!(describe("[1,2]").as_deref(), Some("batch of 2"));
        assert_eq!(describe("not json"), None);
        assert_eq!(describe(r#"{"type":"other"}"#), None);
    }
}

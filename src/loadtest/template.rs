//! wscope's `{{variables}}` in a text, read into parts that each engine
//! writes its own way: `{{env:X}}` becomes the engine's environment
//! reference, `{{$uuid}}` and the like its own generators, and a value
//! captured earlier its variable.

use super::Engine;

/// A text with its variables read out.
pub type Text = Vec<Part>;

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Literal(String),
    /// `{{env:NAME}}`: the environment the engine runs in.
    Env(String),
    Dynamic(Dynamic),
    /// A value captured earlier in the flow, or set in its `[vars]`.
    Variable(String),
}

/// wscope's dynamic variables.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dynamic {
    Uuid,
    Timestamp,
    IsoTimestamp,
    RandomInt,
    Seq,
}

impl Dynamic {
    fn named(name: &str) -> Option<Self> {
        Some(match name {
            "$uuid" => Self::Uuid,
            "$timestamp" => Self::Timestamp,
            "$isoTimestamp" => Self::IsoTimestamp,
            "$randomInt" => Self::RandomInt,
            "$seq" => Self::Seq,
            _ => return None,
        })
    }

    /// Whether `engine` has a generator of its own for this one.
    fn written_by(self, engine: Engine) -> bool {
        match engine {
            // Artillery's templates have $uuid and $randomNumber only.
            Engine::Artillery => matches!(self, Self::Uuid | Self::RandomInt),
            Engine::K6 => true,
        }
    }
}

/// Reads `text`; `known` are the names it may use (set in `[vars]` or
/// captured by an earlier step).
pub fn parse_text(text: &str, engine: Engine, known: &[String]) -> Result<Text, String> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        // `\{{` is a `{{` of the text itself (a server's words in a
        // recorded flow), as wscope's resolver reads it.
        if rest[..open].ends_with('\\') {
            if engine == Engine::Artillery {
                return Err("the text holds a literal {{, which Artillery would read as a variable".into());
            }
            push_literal(&mut parts, &rest[..open - 1]);
            push_literal(&mut parts, "{{");
            rest = &rest[open + 2..];
            continue;
        }
        let Some(close) = rest[open..].find("}}") else { break };
        if open > 0 {
            push_literal(&mut parts, &rest[..open]);
        }
        let name = rest[open + 2..open + close].trim();
        parts.push(part_of(name, engine, known)?);
        rest = &rest[open + close + 2..];
    }
    if !rest.is_empty() {
        push_literal(&mut parts, rest);
    }
    Ok(parts)
}

/// Adds `text` to the literal the parts end with, if they do.
fn push_literal(parts: &mut Text, text: &str) {
    match parts.last_mut() {
        Some(Part::Literal(last)) => last.push_str(text),
        _ if text.is_empty() => {}
        _ => parts.push(Part::Literal(text.to_string())),
    }
}

fn part_of(name: &str, engine: Engine, known: &[String]) -> Result<Part, String> {
    if let Some(var) = name.strip_prefix("env:") {
        return Ok(Part::Env(var.trim().to_string()));
    }
    if name.starts_with('$') {
        let dynamic = Dynamic::named(name).ok_or_else(|| format!("{{{{{name}}}}} is not a dynamic variable"))?;
        if !dynamic.written_by(engine) {
            return Err(format!("{} has no counterpart for {{{{{name}}}}}", engine.title()));
        }
        return Ok(Part::Dynamic(dynamic));
    }
    if known.iter().any(|k| k == name) {
        return Ok(Part::Variable(name.to_string()));
    }
    Err(format!(
        "{{{{{name}}}}} is neither captured by an earlier step nor set in [vars] (an environment's values stay on this machine: use {{{{env:NAME}}}})"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_variable_is_read() {
        let known = vec!["id".to_string()];
        assert_eq!(
            parse_text("a {{env:TOKEN}} b {{ $uuid }}{{id}}", Engine::K6, &known),
            Ok(vec![
                Part::Literal("a ".into()),
                Part::Env("TOKEN".into()),
                Part::Literal(" b ".into()),
                Part::Dynamic(Dynamic::Uuid),
                Part::Variable("id".into()),
            ])
        );
        assert_eq!(
            parse_text("{{ unclosed", Engine::K6, &known),
            Ok(vec![Part::Literal("{{ unclosed".into())])
        );
        assert_eq!(
            parse_text("said \\{{id}} {{id}}", Engine::K6, &known),
            Ok(vec![Part::Literal("said {{id}} ".into()), Part::Variable("id".into())])
        );
        assert!(
            parse_text("\\{{x}}", Engine::Artillery, &known)
                .unwrap_err()
                .contains("literal {{")
        );
    }

    #[test]
    fn what_the_engine_lacks_is_named() {
        let none: Vec<String> = Vec::new();
        let error = parse_text("{{$seq}}", Engine::Artillery, &none).unwrap_err();
        assert!(error.contains("Artillery") && error.contains("{{$seq}}"), "{error}");
        assert!(parse_text("{{$seq}}", Engine::K6, &none).is_ok());
        assert!(
            parse_text("{{$nope}}", Engine::K6, &none)
                .unwrap_err()
                .contains("not a dynamic")
        );
        assert!(
            parse_text("{{token}}", Engine::K6, &none)
                .unwrap_err()
                .contains("env:NAME")
        );
    }
}

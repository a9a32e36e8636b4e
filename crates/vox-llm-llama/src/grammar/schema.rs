//! A tool's JSON Schema as GBNF rules, so a call's arguments can only be JSON the schema allows.
//! Covers what tool schemas use (objects, arrays, scalars, `enum`, `const`, `anyOf`/`oneOf`,
//! local `$ref`s, string lengths); a keyword a grammar cannot hold (`pattern`, `not`, ...) is an
//! error naming where it is, never a silent loosening. Numeric bounds are not held (documented).

use std::collections::HashMap;

use serde_json::{Map, Value};

/// Keywords whose meaning a context-free grammar of JSON cannot enforce. The door refuses the
/// same list first (`vox_protocol::chat::tools`, which engines do not depend on): this check
/// keeps any other caller of the engine from decoding without a rule it asked for.
const UNSUPPORTED: [&str; 10] = [
    "pattern",
    "patternProperties",
    "not",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "prefixItems",
    "contains",
    "propertyNames",
];
/// Deeper schemas than this are refused: they only appear by mistake and grow the grammar.
const MAX_DEPTH: usize = 24;
/// Most optional properties one object may list (the grammar grows with their square).
const MAX_OPTIONAL: usize = 40;
/// Longest string length bound written out as a repetition.
const MAX_LENGTH_BOUND: u64 = 1000;

/// Generic JSON, used where a schema allows any value.
pub const JSON_RULES: &str = r#"
value ::= object | array | string | number | "true" | "false" | "null"
object ::= "{" ws ( string ws ":" ws value ( ws "," ws string ws ":" ws value )* )? ws "}"
array ::= "[" ws ( value ( ws "," ws value )* )? ws "]"
string ::= "\"" char* "\""
char ::= [^"\\\x7F\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] )
number ::= "-"? ( "0" | [1-9] [0-9]* ) ( "." [0-9]+ )? ( [eE] [-+]? [0-9]+ )?
integer ::= "-"? ( "0" | [1-9] [0-9]{0,17} )
ws ::= [ \t\n]? [ \t\n]?
"#;

/// Rules built from schemas, named after where they came from.
#[derive(Default)]
pub struct SchemaRules {
    rules: Vec<(String, String)>,
    /// `$ref` targets already given a rule (or being built), by pointer.
    refs: HashMap<String, String>,
}

impl SchemaRules {
    /// The rule name matching `schema`'s values; `root` resolves its local `$ref`s.
    pub fn add(&mut self, name: &str, schema: &Value) -> Result<String, String> {
        let name = rule_name(name);
        let body = Builder {
            rules: self,
            root: schema,
        }
        .body(schema, "", 0)?;
        self.define(&name, body);
        Ok(name)
    }

    /// Every rule, then the generic JSON ones.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for (name, body) in &self.rules {
            out.push_str(&format!("{name} ::= {body}\n"));
        }
        out.push_str(JSON_RULES);
        out
    }

    fn define(&mut self, name: &str, body: String) {
        self.rules.push((name.to_string(), body));
    }

    fn unique(&self, base: &str) -> String {
        let base = rule_name(base);
        let taken = |n: &str| self.rules.iter().any(|(r, _)| r == n) || self.refs.values().any(|r| r == n);
        (0..)
            .map(|i| {
                if i == 0 {
                    base.clone()
                } else {
                    format!("{base}-{i}")
                }
            })
            .find(|n| !taken(n))
            .expect("an unused name exists")
    }
}

struct Builder<'a> {
    rules: &'a mut SchemaRules,
    root: &'a Value,
}

impl Builder<'_> {
    /// A GBNF expression for the values `schema` allows; `at` is its JSON pointer, for errors.
    fn body(&mut self, schema: &Value, at: &str, depth: usize) -> Result<String, String> {
        if depth > MAX_DEPTH {
            return Err(format!("{} nests deeper than {MAX_DEPTH} levels", location(at)));
        }
        let schema = match schema {
            Value::Bool(true) => return Ok("value".into()),
            Value::Bool(false) => return Err(format!("{} allows no value (false)", location(at))),
            Value::Object(schema) => schema,
            _ => return Err(format!("{} must be an object", location(at))),
        };
        if let Some(keyword) = UNSUPPORTED.iter().find(|k| schema.contains_key(**k)) {
            return Err(format!(
                "'{keyword}' at {} cannot be enforced while decoding; remove it or describe the rule in 'description'",
                location(at)
            ));
        }
        if let Some(reference) = schema.get("$ref") {
            return self.reference(reference, at, depth);
        }
        if let Some(value) = schema.get("const") {
            return Ok(json_literal(value));
        }
        if let Some(values) = schema.get("enum") {
            return enum_body(values, at);
        }
        for keyword in ["anyOf", "oneOf"] {
            if let Some(options) = schema.get(keyword) {
                return self.alternatives(options, &format!("{at}/{keyword}"), depth);
            }
        }
        if let Some(all) = schema.get("allOf") {
            return match all.as_array().map(Vec::as_slice) {
                Some([only]) => self.body(only, &format!("{at}/allOf/0"), depth + 1),
                _ => Err(format!(
                    "'allOf' at {} must hold exactly one schema",
                    location(at)
                )),
            };
        }
        match schema.get("type") {
            None => Ok(self.untyped(schema, at, depth)?),
            Some(Value::String(kind)) => self.typed(kind, schema, at, depth),
            Some(Value::Array(kinds)) => {
                let mut options = Vec::new();
                for kind in kinds {
                    let kind = kind
                        .as_str()
                        .ok_or_else(|| format!("'type' at {} must name types", location(at)))?;
                    options.push(self.typed(kind, schema, at, depth)?);
                }
                Ok(format!("( {} )", options.join(" | ")))
            }
            Some(_) => Err(format!("'type' at {} must be a string or a list", location(at))),
        }
    }

    /// A schema without `type`: its keywords tell what it is, else any value.
    fn untyped(&mut self, schema: &Map<String, Value>, at: &str, depth: usize) -> Result<String, String> {
        if schema.contains_key("properties") {
            self.object(schema, at, depth)
        } else if schema.contains_key("items") {
            self.array(schema, at, depth)
        } else {
            Ok("value".into())
        }
    }

    fn typed(
        &mut self,
        kind: &str,
        schema: &Map<String, Value>,
        at: &str,
        depth: usize,
    ) -> Result<String, String> {
        match kind {
            "object" => self.object(schema, at, depth),
            "array" => self.array(schema, at, depth),
            "string" => string_body(schema, at),
            "number" => Ok("number".into()),
            "integer" => Ok("integer".into()),
            "boolean" => Ok(r#"( "true" | "false" )"#.into()),
            "null" => Ok(r#""null""#.into()),
            other => Err(format!(
                "'type' at {} names no JSON type: '{other}'",
                location(at)
            )),
        }
    }

    fn alternatives(&mut self, options: &Value, at: &str, depth: usize) -> Result<String, String> {
        let options = options
            .as_array()
            .filter(|o| !o.is_empty())
            .ok_or_else(|| format!("{} must be a non-empty list of schemas", location(at)))?;
        let mut bodies = Vec::new();
        for (i, option) in options.iter().enumerate() {
            bodies.push(self.body(option, &format!("{at}/{i}"), depth + 1)?);
        }
        Ok(format!("( {} )", bodies.join(" | ")))
    }

    /// A local `$ref` (`#`, `#/$defs/..`, `#/definitions/..`) becomes a rule of its own, so a
    /// recursive schema is a recursive rule.
    fn reference(&mut self, reference: &Value, at: &str, depth: usize) -> Result<String, String> {
        let pointer = reference
            .as_str()
            .and_then(|r| r.strip_prefix('#'))
            .ok_or_else(|| {
                format!(
                    "'$ref' at {} must point inside the schema (start with '#')",
                    location(at)
                )
            })?;
        if let Some(name) = self.rules.refs.get(pointer) {
            return Ok(name.clone());
        }
        let target = self
            .root
            .pointer(pointer)
            .ok_or_else(|| format!("'$ref' at {} points at nothing: '#{pointer}'", location(at)))?;
        let name = self.rules.unique(&format!("ref{pointer}"));
        self.rules.refs.insert(pointer.to_string(), name.clone());
        let body = self.body(target, pointer, depth + 1)?;
        self.rules.define(&name, body);
        Ok(name)
    }

    fn array(&mut self, schema: &Map<String, Value>, at: &str, depth: usize) -> Result<String, String> {
        let item = match schema.get("items") {
            None => "value".to_string(),
            Some(items) => {
                let body = self.body(items, &format!("{at}/items"), depth + 1)?;
                let name = self.rules.unique(&format!("item{at}"));
                self.rules.define(&name, body);
                name
            }
        };
        let min = count(schema, "minItems", at)?.unwrap_or(0);
        let max = count(schema, "maxItems", at)?;
        if max.is_some_and(|max| max < min) {
            return Err(format!("'maxItems' at {} is below 'minItems'", location(at)));
        }
        let more = r#"ws "," ws "#.to_string() + &item;
        let list = match (min, max) {
            (_, Some(0)) => return Ok(r#""[" ws "]""#.into()),
            (0, None) => format!("( {item} ( {more} )* )?"),
            (0, Some(max)) => format!("( {item} ( {more} ){{0,{}}} )?", max - 1),
            (min, None) => format!("{item} ( {more} ){{{},}}", min - 1),
            (min, Some(max)) => format!("{item} ( {more} ){{{},{}}}", min - 1, max - 1),
        };
        Ok(format!(r#""[" ws {list} ws "]""#))
    }

    /// Declared properties only: required ones first (each always present), then optional
    /// ones in their order, each with or without. No properties declared: any object whose
    /// values match `additionalProperties`.
    fn object(&mut self, schema: &Map<String, Value>, at: &str, depth: usize) -> Result<String, String> {
        let properties = match schema.get("properties") {
            None => return self.open_object(schema, at, depth),
            Some(Value::Object(p)) => p,
            Some(_) => return Err(format!("'properties' at {} must be an object", location(at))),
        };
        let required: Vec<&str> = match schema.get("required") {
            None => Vec::new(),
            Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
            Some(_) => return Err(format!("'required' at {} must be a list of names", location(at))),
        };
        if let Some(missing) = required.iter().find(|n| !properties.contains_key(**n)) {
            return Err(format!(
                "'required' at {} names '{missing}', which 'properties' does not declare",
                location(at)
            ));
        }
        let mut fields = Vec::new();
        let mut optional = Vec::new();
        for name in required.iter().copied() {
            fields.push(self.member(name, &properties[name], at, depth)?);
        }
        for (name, property) in properties.iter().filter(|(n, _)| !required.contains(&n.as_str())) {
            optional.push(self.member(name, property, at, depth)?);
        }
        if optional.len() > MAX_OPTIONAL {
            return Err(format!(
                "{} has more than {MAX_OPTIONAL} optional properties",
                location(at)
            ));
        }
        let comma = r#"ws "," ws "#;
        let body = if fields.is_empty() {
            optional_members(&optional, comma)
        } else {
            let tail: String = optional.iter().map(|o| format!(" ( {comma}{o} )?")).collect();
            format!("{}{tail}", fields.join(&format!(" {comma}")))
        };
        Ok(format!(r#""{{" ws {body} ws "}}""#))
    }

    fn open_object(&mut self, schema: &Map<String, Value>, at: &str, depth: usize) -> Result<String, String> {
        let value = match schema.get("additionalProperties") {
            None | Some(Value::Bool(true)) => return Ok("object".into()),
            Some(Value::Bool(false)) => return Ok(r#""{" ws "}""#.into()),
            Some(values) => self.body(values, &format!("{at}/additionalProperties"), depth + 1)?,
        };
        let member = format!(r#"string ws ":" ws {value}"#);
        Ok(format!(
            r#""{{" ws ( {member} ( ws "," ws {member} )* )? ws "}}""#
        ))
    }

    /// `"name": value` for one property.
    fn member(&mut self, name: &str, schema: &Value, at: &str, depth: usize) -> Result<String, String> {
        let at = format!("{at}/properties/{name}");
        let body = self.body(schema, &at, depth + 1)?;
        let rule = self.rules.unique(&format!("prop{at}"));
        self.rules.define(&rule, body);
        Ok(format!(
            r#"{} ws ":" ws {rule}"#,
            json_literal(&Value::String(name.into()))
        ))
    }
}

/// Any subset of `members`, in order, commas between: the first one present has none before it.
fn optional_members(members: &[String], comma: &str) -> String {
    if members.is_empty() {
        return String::new();
    }
    let starts: Vec<String> = (0..members.len())
        .map(|first| {
            let rest: String = members[first + 1..]
                .iter()
                .map(|m| format!(" ( {comma}{m} )?"))
                .collect();
            format!("{}{rest}", members[first])
        })
        .collect();
    format!("( {} )?", starts.join(" | "))
}

fn string_body(schema: &Map<String, Value>, at: &str) -> Result<String, String> {
    let min = count(schema, "minLength", at)?.unwrap_or(0);
    let max = count(schema, "maxLength", at)?;
    if min > MAX_LENGTH_BOUND || max.is_some_and(|m| m > MAX_LENGTH_BOUND) {
        return Ok("string".into());
    }
    Ok(match (min, max) {
        (0, None) => "string".into(),
        (min, None) => format!(r#""\"" char{{{min},}} "\"""#),
        (min, Some(max)) if max >= min => format!(r#""\"" char{{{min},{max}}} "\"""#),
        _ => return Err(format!("'maxLength' at {} is below 'minLength'", location(at))),
    })
}

fn enum_body(values: &Value, at: &str) -> Result<String, String> {
    let values = values
        .as_array()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("'enum' at {} must be a non-empty list", location(at)))?;
    let literals: Vec<String> = values.iter().map(json_literal).collect();
    Ok(format!("( {} )", literals.join(" | ")))
}

fn count(schema: &Map<String, Value>, keyword: &str, at: &str) -> Result<Option<u64>, String> {
    match schema.get(keyword) {
        None => Ok(None),
        Some(value) => value
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("'{keyword}' at {} must be a whole number", location(at))),
    }
}

/// The GBNF literal matching `value`'s compact JSON text exactly.
pub fn json_literal(value: &Value) -> String {
    gbnf_literal(&value.to_string())
}

/// A GBNF string literal of `text`.
pub fn gbnf_literal(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// GBNF rule names: letters, digits and dashes.
fn rule_name(text: &str) -> String {
    let name: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let name = name.trim_matches('-').to_string();
    if name.is_empty() { "r".into() } else { name }
}

fn location(at: &str) -> String {
    if at.is_empty() {
        "the root".into()
    } else {
        format!("'{at}'")
    }
}

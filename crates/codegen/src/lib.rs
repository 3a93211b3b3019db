//! Generates `crates/api/src/generated.rs` from botocore's IAM and STS service models.
//!
//! [`generate`] is a pure function of the two model texts; the binary writes its result and a
//! test in `castellan-api` checks that the committed file is what it returns.

mod json;
mod names;
mod pattern;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use json::Json;
use names::{field_name, type_name, upper_snake, variant_name};

/// Enum values AWS sends differently from its model: (shape, model value, value sent). The
/// model says `PermissionsBoundaryPolicy`; AWS sends `"PermissionsBoundaryType": "Policy"`
/// (responses recorded from AWS: localstack tests/aws/services/iam/test_iam_roles.snapshot.json,
/// "get-role-with-boundary").
const SENT_AS: &[(&str, &str, &str)] = &[("PermissionsBoundaryAttachmentType", "PermissionsBoundaryPolicy", "Policy")];

/// The full text of `crates/api/src/generated.rs`.
pub fn generate(iam_model_json: &str, sts_model_json: &str) -> Result<String, String> {
    let iam_json = Json::parse(iam_model_json).map_err(|e| format!("IAM model: {e}"))?;
    let sts_json = Json::parse(sts_model_json).map_err(|e| format!("STS model: {e}"))?;
    let services = [
        Model::new(&iam_json, "iam", "Iam", "IAM")?,
        Model::new(&sts_json, "sts", "Sts", "STS")?,
    ];
    let mut g = Gen::default();
    g.run(&services)?;
    Ok(g.out)
}

struct Op<'a> {
    name: &'a str,
    input: Option<&'a str>,
    output: Option<&'a str>,
    result_wrapper: Option<&'a str>,
}

struct Model<'a> {
    /// The Rust module: `iam`.
    module: &'static str,
    /// The `Service` variant: `Iam`.
    variant: &'static str,
    /// For doc comments: `IAM`.
    display: &'static str,
    namespace: &'a str,
    api_version: &'a str,
    signing_name: &'a str,
    shapes: &'a [(String, Json)],
    ops: Vec<Op<'a>>,
    /// Shapes reachable from an operation's input, in model order.
    input_shapes: BTreeSet<&'a str>,
    /// Shapes reachable from an operation's output.
    output_shapes: BTreeSet<&'a str>,
}

fn field<'a>(j: &'a Json, key: &str, what: &str) -> Result<&'a Json, String> {
    j.get(key).ok_or_else(|| format!("{what}: missing `{key}`"))
}

fn str_field<'a>(j: &'a Json, key: &str, what: &str) -> Result<&'a str, String> {
    field(j, key, what)?.as_str().ok_or_else(|| format!("{what}: `{key}` is not a string"))
}

impl<'a> Model<'a> {
    fn new(
        json: &'a Json,
        module: &'static str,
        variant: &'static str,
        display: &'static str,
    ) -> Result<Model<'a>, String> {
        let meta = field(json, "metadata", display)?;
        let protocol = str_field(meta, "protocol", display)?;
        if protocol != "query" {
            return Err(format!("{display}: protocol `{protocol}` is not `query`"));
        }
        let shapes = field(json, "shapes", display)?.as_object().ok_or("shapes is not an object")?;
        let mut ops = Vec::new();
        for (name, op) in field(json, "operations", display)?.as_object().ok_or("operations is not an object")? {
            let shape_of = |key: &str| -> Result<Option<&'a str>, String> {
                match op.get(key) {
                    None => Ok(None),
                    Some(j) => str_field(j, "shape", name).map(Some),
                }
            };
            ops.push(Op {
                name,
                input: shape_of("input")?,
                output: shape_of("output")?,
                result_wrapper: op.get("output").and_then(|o| o.get("resultWrapper")).and_then(Json::as_str),
            });
        }
        let mut m = Model {
            module,
            variant,
            display,
            namespace: str_field(meta, "xmlNamespace", display)?,
            api_version: str_field(meta, "apiVersion", display)?,
            signing_name: meta
                .get("signingName")
                .and_then(Json::as_str)
                .map_or_else(|| str_field(meta, "endpointPrefix", display), Ok)?,
            shapes,
            ops,
            input_shapes: BTreeSet::new(),
            output_shapes: BTreeSet::new(),
        };
        let mut input = BTreeSet::new();
        let mut output = BTreeSet::new();
        for op in &m.ops {
            if let Some(s) = op.input {
                m.reach(s, &mut input, 0)?;
            }
            if let Some(s) = op.output {
                m.reach(s, &mut output, 0)?;
            }
        }
        m.input_shapes = input;
        m.output_shapes = output;
        Ok(m)
    }

    fn shape(&self, name: &str) -> Result<&'a Json, String> {
        self.shapes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s)
            .ok_or_else(|| format!("{}: no shape `{name}`", self.display))
    }

    fn kind(&self, name: &str) -> Result<&'a str, String> {
        str_field(self.shape(name)?, "type", name)
    }

    /// The shapes a shape refers to: members, list members, map keys and values.
    fn children(&self, name: &str) -> Result<Vec<&'a str>, String> {
        let s = self.shape(name)?;
        Ok(match self.kind(name)? {
            "structure" => {
                let mut v = Vec::new();
                for (_, m) in members(s) {
                    v.push(str_field(m, "shape", name)?);
                }
                v
            }
            "list" => vec![str_field(field(s, "member", name)?, "shape", name)?],
            "map" => vec![
                str_field(field(s, "key", name)?, "shape", name)?,
                str_field(field(s, "value", name)?, "shape", name)?,
            ],
            _ => Vec::new(),
        })
    }

    fn reach(&self, name: &'a str, seen: &mut BTreeSet<&'a str>, depth: usize) -> Result<(), String> {
        if depth > 64 {
            return Err(format!("{}: shapes nest too deeply at `{name}` (recursive?)", self.display));
        }
        // A recursive shape would need a Box; the models have none, so refuse rather than emit an
        // infinite type.
        if !seen.insert(name) {
            return Ok(());
        }
        for child in self.children(name)? {
            self.reach(child, seen, depth + 1)?;
        }
        Ok(())
    }

    fn sensitive(&self, name: &str) -> bool {
        let Ok(s) = self.shape(name) else { return false };
        if s.get("sensitive").and_then(Json::as_bool) == Some(true) {
            return true;
        }
        match self.kind(name) {
            Ok("list") => s.get("member").and_then(|m| m.get("shape")).and_then(Json::as_str).is_some_and(|m| self.sensitive(m)),
            Ok("map") => s.get("value").and_then(|m| m.get("shape")).and_then(Json::as_str).is_some_and(|m| self.sensitive(m)),
            _ => false,
        }
    }

    /// The Rust type of a shape.
    fn rust_type(&self, name: &str) -> Result<String, String> {
        let s = self.shape(name)?;
        Ok(match self.kind(name)? {
            "string" if s.get("enum").is_some() => type_name(name),
            "string" => "String".to_owned(),
            "integer" => "i32".to_owned(),
            "long" => "i64".to_owned(),
            "boolean" => "bool".to_owned(),
            "timestamp" => "crate::types::Timestamp".to_owned(),
            "blob" => "crate::types::Blob".to_owned(),
            "list" => format!("Vec<{}>", self.rust_type(str_field(field(s, "member", name)?, "shape", name)?)?),
            "map" => format!(
                "Vec<({}, {})>",
                self.rust_type(str_field(field(s, "key", name)?, "shape", name)?)?,
                self.rust_type(str_field(field(s, "value", name)?, "shape", name)?)?
            ),
            "structure" => type_name(name),
            other => return Err(format!("{name}: unsupported shape type `{other}`")),
        })
    }

    fn location_name<'j>(&self, j: &'j Json) -> Option<&'j str> {
        j.get("locationName").and_then(Json::as_str)
    }

    fn flattened(&self, s: &Json) -> bool {
        s.get("flattened").and_then(Json::as_bool) == Some(true)
    }

    /// The name of a rule static, when the shape needs one.
    fn rule_name(&self, name: &str) -> Result<Option<String>, String> {
        let s = self.shape(name)?;
        let needs = match self.kind(name)? {
            "string" => ["min", "max", "pattern"].iter().any(|k| s.get(k).is_some()) || self.sensitive(name),
            "integer" | "long" => s.get("min").is_some() || s.get("max").is_some(),
            "list" | "map" => true,
            _ => false,
        };
        Ok(needs.then(|| format!("R_{}", upper_snake(name))))
    }

    /// The decoder expression that reads a value of shape `name` at the decoder's current key.
    fn decode_expr(&self, name: &str) -> Result<String, String> {
        let s = self.shape(name)?;
        let rule = self.rule_name(name)?;
        let rule_or = |default: &str| rule.clone().unwrap_or_else(|| default.to_owned());
        Ok(match self.kind(name)? {
            "string" if s.get("enum").is_some() => {
                format!("d.enumeration::<{}>(&{})", type_name(name), rule_or("crate::query::ANY_STRING"))
            }
            "string" => format!("d.string(&{})", rule_or("crate::query::ANY_STRING")),
            "integer" => format!("d.integer(&{})", rule_or("crate::query::ANY_NUMBER")),
            "long" => format!("d.long(&{})", rule_or("crate::query::ANY_NUMBER")),
            "boolean" => "d.boolean()".to_owned(),
            "timestamp" => "d.timestamp()".to_owned(),
            "blob" => format!("d.blob({})", self.sensitive(name)),
            "list" => {
                let member = str_field(field(s, "member", name)?, "shape", name)?;
                format!("d.list(&{}, |d| {})", rule_or(""), self.decode_expr(member)?)
            }
            "map" => {
                let k = str_field(field(s, "key", name)?, "shape", name)?;
                let v = str_field(field(s, "value", name)?, "shape", name)?;
                format!("d.map(&{}, |d| {}, |d| {})", rule_or(""), self.decode_expr(k)?, self.decode_expr(v)?)
            }
            "structure" => format!("d.structure::<{}>()", type_name(name)),
            other => return Err(format!("{name}: unsupported shape type `{other}`")),
        })
    }
}

fn members(s: &Json) -> &[(String, Json)] {
    s.get("members").and_then(Json::as_object).unwrap_or_default()
}

fn required(s: &Json) -> Vec<&str> {
    s.get("required").and_then(Json::as_array).unwrap_or_default().iter().filter_map(Json::as_str).collect()
}

/// A Rust string literal for `s`: raw when possible, for readable patterns.
fn literal(s: &str) -> String {
    if s.chars().all(|c| c != '"' && c != '\\' && !c.is_control()) {
        format!("\"{s}\"")
    } else if !s.contains('"') && !s.contains('\n') {
        format!("r\"{s}\"")
    } else if !s.contains("\"#") && !s.contains('\n') {
        format!("r#\"{s}\"#")
    } else {
        format!("{s:?}")
    }
}

#[derive(Default)]
struct Gen {
    out: String,
    /// Java pattern → index of its `P{n}` static.
    patterns: BTreeMap<String, usize>,
    pattern_list: Vec<(String, pattern::Translated)>,
}

macro_rules! w {
    ($g:expr, $($arg:tt)*) => {{
        let _ = writeln!($g.out, $($arg)*);
    }};
}

impl Gen {
    fn run(&mut self, services: &[Model<'_>]) -> Result<(), String> {
        self.header();
        self.service_enum(services);
        self.operation_enum(services)?;
        self.request_enum(services)?;
        self.response_enum(services)?;
        self.errors(services)?;
        // Patterns are collected while writing the modules, so write those into a buffer first.
        let mut modules = String::new();
        for m in services {
            let before = std::mem::take(&mut self.out);
            self.module(m)?;
            modules.push_str(&std::mem::replace(&mut self.out, before));
        }
        self.patterns_module();
        self.out.push_str(&modules);
        if self.out.ends_with("\n\n") {
            self.out.pop();
        }
        Ok(())
    }

    fn header(&mut self) {
        w!(self, "// @generated by castellan-codegen from data/aws/iam-2010-05-08.json and");
        w!(self, "// data/aws/sts-2011-06-15.json (botocore service models). Do not edit: run");
        w!(self, "// `cargo run -p castellan-codegen` after changing the models or the generator.");
        w!(self, "");
    }

    fn service_enum(&mut self, services: &[Model<'_>]) {
        w!(self, "/// The two services this crate speaks.");
        w!(self, "#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]");
        w!(self, "pub enum Service {{");
        for m in services {
            w!(self, "    /// AWS {}, API version {}.", m.display, m.api_version);
            w!(self, "    {},", m.variant);
        }
        w!(self, "}}");
        w!(self, "");
        w!(self, "impl Service {{");
        for (f, doc, get) in [
            ("xml_namespace", "The XML namespace of responses", 0),
            ("api_version", "The API version (`Version` parameter)", 1),
            ("signing_name", "The SigV4 signing name (service in the credential scope)", 2),
        ] {
            w!(self, "    /// {doc}.");
            w!(self, "    pub const fn {f}(self) -> &'static str {{");
            w!(self, "        match self {{");
            for m in services {
                let v = match get {
                    0 => m.namespace,
                    1 => m.api_version,
                    _ => m.signing_name,
                };
                w!(self, "            Service::{} => {},", m.variant, literal(v));
            }
            w!(self, "        }}");
            w!(self, "    }}");
            w!(self, "");
        }
        self.out.pop();
        w!(self, "}}");
        w!(self, "");
    }

    fn operation_enum(&mut self, services: &[Model<'_>]) -> Result<(), String> {
        let mut seen = BTreeSet::new();
        for m in services {
            for op in &m.ops {
                if !seen.insert(op.name) {
                    return Err(format!("operation `{}` is in both models", op.name));
                }
            }
        }
        let total: usize = services.iter().map(|m| m.ops.len()).sum();
        w!(self, "/// Every operation of both services ({total}), named as AWS names them.");
        w!(self, "#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]");
        w!(self, "pub enum Operation {{");
        for m in services {
            w!(self, "    // {}", m.display);
            for op in &m.ops {
                w!(self, "    {},", op.name);
            }
        }
        w!(self, "}}");
        w!(self, "");
        w!(self, "impl Operation {{");
        w!(self, "    /// Every operation, IAM's then STS's, each in model order.");
        w!(self, "    pub const ALL: &'static [Operation] = &[");
        for m in services {
            for op in &m.ops {
                w!(self, "        Operation::{},", op.name);
            }
        }
        w!(self, "    ];");
        w!(self, "");
        w!(self, "    /// The operation's name, the `Action` parameter: `CreateUser`.");
        w!(self, "    pub const fn name(self) -> &'static str {{");
        w!(self, "        match self {{");
        for m in services {
            for op in &m.ops {
                w!(self, "            Operation::{0} => \"{0}\",", op.name);
            }
        }
        w!(self, "        }}");
        w!(self, "    }}");
        w!(self, "");
        w!(self, "    /// The service the operation belongs to.");
        w!(self, "    pub const fn service(self) -> Service {{");
        w!(self, "        match self {{");
        for m in services {
            let names: Vec<String> = m.ops.iter().map(|o| format!("Operation::{}", o.name)).collect();
            w!(self, "            {} => Service::{},", names.join("\n            | "), m.variant);
        }
        w!(self, "        }}");
        w!(self, "    }}");
        w!(self, "");
        w!(self, "    /// The IAM policy action that allows the operation: `iam:CreateUser`, `sts:AssumeRole`.");
        w!(self, "    pub const fn iam_action(self) -> &'static str {{");
        w!(self, "        match self {{");
        for m in services {
            for op in &m.ops {
                w!(self, "            Operation::{0} => \"{1}:{0}\",", op.name, m.signing_name);
            }
        }
        w!(self, "        }}");
        w!(self, "    }}");
        w!(self, "");
        w!(self, "    /// The operation named `action` (exactly, case-sensitive, as AWS matches) in `service`.");
        w!(self, "    pub fn from_name(service: Service, action: &str) -> Option<Operation> {{");
        w!(self, "        let table = match service {{");
        for m in services {
            w!(self, "            Service::{} => {}_BY_NAME,", m.variant, m.module.to_ascii_uppercase());
        }
        w!(self, "        }};");
        w!(self, "        table.binary_search_by(|(name, _)| name.cmp(&action)).ok().and_then(|i| table.get(i)).map(|(_, op)| *op)");
        w!(self, "    }}");
        w!(self, "}}");
        w!(self, "");
        w!(self, "impl std::fmt::Display for Operation {{");
        w!(self, "    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {{");
        w!(self, "        f.write_str(self.name())");
        w!(self, "    }}");
        w!(self, "}}");
        w!(self, "");
        for m in services {
            let mut names: Vec<&str> = m.ops.iter().map(|o| o.name).collect();
            names.sort_unstable();
            w!(self, "/// {}'s operations sorted by name, for [`Operation::from_name`].", m.display);
            w!(self, "static {}_BY_NAME: &[(&str, Operation)] = &[", m.module.to_ascii_uppercase());
            for n in names {
                w!(self, "    (\"{n}\", Operation::{n}),");
            }
            w!(self, "];");
            w!(self, "");
        }
        Ok(())
    }

    fn request_enum(&mut self, services: &[Model<'_>]) -> Result<(), String> {
        w!(self, "/// A decoded request: one variant per operation, holding its input shape (none when the");
        w!(self, "/// operation has no input).");
        w!(self, "#[derive(Debug, Clone, PartialEq, Eq)]");
        w!(self, "pub enum Request {{");
        for m in services {
            for op in &m.ops {
                match op.input {
                    Some(s) => w!(self, "    {}({}::{}),", op.name, m.module, type_name(s)),
                    None => w!(self, "    {},", op.name),
                }
            }
        }
        w!(self, "}}");
        w!(self, "");
        w!(self, "impl Request {{");
        w!(self, "    /// Decodes operation `op`'s input from the request's parameters, checking the model's");
        w!(self, "    /// constraints.");
        w!(self, "    /// Validation messages are worded as the operation's service words them (IAM does not");
        w!(self, "    /// echo the offending value, STS does).");
        w!(self, "    pub fn parse(op: Operation, params: &crate::query::QueryParams) -> Result<Request, crate::error::DecodeError> {{");
        w!(self, "        Self::decode_input(op, params).map_err(|e| e.worded_for(op.service()))");
        w!(self, "    }}");
        w!(self, "");
        w!(self, "    fn decode_input(op: Operation, params: &crate::query::QueryParams) -> Result<Request, crate::error::DecodeError> {{");
        w!(self, "        Ok(match op {{");
        for m in services {
            for op in &m.ops {
                match op.input {
                    Some(_) => w!(self, "            Operation::{0} => Request::{0}(crate::query::decode(params)?),", op.name),
                    None => w!(self, "            Operation::{0} => Request::{0},", op.name),
                }
            }
        }
        w!(self, "        }})");
        w!(self, "    }}");
        w!(self, "");
        for (fname, ret) in [("member_str", "Option<&str>"), ("member_strs", "Option<&[String]>")] {
            w!(self, "    /// See the input shapes' `{fname}`; `None` for an operation without input.");
            w!(self, "    pub fn {fname}(&self, member: &str) -> {ret} {{");
            w!(self, "        match self {{");
            for m in services {
                for op in &m.ops {
                    match op.input {
                        Some(_) => w!(self, "            Request::{}(r) => r.{fname}(member),", op.name),
                        None => w!(self, "            Request::{} => None,", op.name),
                    }
                }
            }
            w!(self, "        }}");
            w!(self, "    }}");
            w!(self, "");
        }
        w!(self, "    /// The operation this request is for.");
        w!(self, "    pub const fn operation(&self) -> Operation {{");
        w!(self, "        match self {{");
        for m in services {
            for op in &m.ops {
                match op.input {
                    Some(_) => w!(self, "            Request::{0}(_) => Operation::{0},", op.name),
                    None => w!(self, "            Request::{0} => Operation::{0},", op.name),
                }
            }
        }
        w!(self, "        }}");
        w!(self, "    }}");
        w!(self, "}}");
        w!(self, "");
        Ok(())
    }

    fn response_enum(&mut self, services: &[Model<'_>]) -> Result<(), String> {
        w!(self, "/// A successful result: one variant per operation, holding its output shape (none when the");
        w!(self, "/// operation has no output).");
        w!(self, "#[derive(Debug, Clone, PartialEq, Eq)]");
        w!(self, "pub enum Response {{");
        for m in services {
            for op in &m.ops {
                match op.output {
                    Some(s) => w!(self, "    {}({}::{}),", op.name, m.module, type_name(s)),
                    None => w!(self, "    {},", op.name),
                }
            }
        }
        w!(self, "}}");
        w!(self, "");
        w!(self, "impl Response {{");
        w!(self, "    /// The operation this response answers.");
        w!(self, "    pub const fn operation(&self) -> Operation {{");
        w!(self, "        match self {{");
        for m in services {
            for op in &m.ops {
                match op.output {
                    Some(_) => w!(self, "            Response::{0}(_) => Operation::{0},", op.name),
                    None => w!(self, "            Response::{0} => Operation::{0},", op.name),
                }
            }
        }
        w!(self, "        }}");
        w!(self, "    }}");
        w!(self, "");
        w!(self, "    /// The response body AWS sends: `<{{Op}}Response xmlns=\"...\"><{{Op}}Result>...</{{Op}}Result>");
        w!(self, "    /// <ResponseMetadata><RequestId>...</RequestId></ResponseMetadata></{{Op}}Response>`.");
        w!(self, "    pub fn to_xml(&self, request_id: &str) -> String {{");
        w!(self, "        let op = self.operation();");
        w!(self, "        let mut out = String::with_capacity(512);");
        w!(self, "        crate::xml::open_response(&mut out, op.service(), op.name());");
        w!(self, "        match self {{");
        let mut unit = Vec::new();
        for m in services {
            for op in &m.ops {
                match (op.output, op.result_wrapper) {
                    (Some(_), Some(wrapper)) => {
                        w!(self, "            Response::{}(r) => crate::xml::element(&mut out, \"{}\", r),", op.name, wrapper);
                    }
                    (Some(_), None) => {
                        w!(self, "            Response::{}(r) => crate::xml::XmlValue::write_xml(r, &mut out),", op.name);
                    }
                    (None, _) => unit.push(format!("Response::{}", op.name)),
                }
            }
        }
        if !unit.is_empty() {
            w!(self, "            {} => {{}}", unit.join("\n            | "));
        }
        w!(self, "        }}");
        w!(self, "        crate::xml::close_response(&mut out, op.name(), request_id);");
        w!(self, "        out");
        w!(self, "    }}");
        w!(self, "}}");
        w!(self, "");
        Ok(())
    }

    fn errors(&mut self, services: &[Model<'_>]) -> Result<(), String> {
        // code → (status, sender fault, services)
        let mut codes: BTreeMap<String, (i64, bool, Vec<&str>)> = BTreeMap::new();
        for m in services {
            for (name, s) in m.shapes {
                if s.get("exception").and_then(Json::as_bool) != Some(true) {
                    continue;
                }
                let e = s.get("error");
                let code = e.and_then(|e| e.get("code")).and_then(Json::as_str).unwrap_or(name);
                let status = e.and_then(|e| e.get("httpStatusCode")).and_then(Json::as_i64).unwrap_or(400);
                let sender = e.and_then(|e| e.get("senderFault")).and_then(Json::as_bool).unwrap_or(status < 500);
                let entry = codes.entry(code.to_owned()).or_insert((status, sender, Vec::new()));
                if entry.0 != status || entry.1 != sender {
                    return Err(format!("error code `{code}` has two statuses"));
                }
                entry.2.push(m.display);
            }
        }
        w!(self, "/// The HTTP status of each error code the models declare.");
        w!(self, "pub fn error_status(code: &str) -> Option<u16> {{");
        w!(self, "    match code {{");
        for (code, (status, _, svcs)) in &codes {
            w!(self, "        \"{code}\" => Some({status}), // {}", svcs.join(", "));
        }
        w!(self, "        _ => None,");
        w!(self, "    }}");
        w!(self, "}}");
        w!(self, "");
        w!(self, "/// Whether each declared error code is the client's fault (`<Type>Sender</Type>`) rather");
        w!(self, "/// than the service's (`Receiver`).");
        w!(self, "pub fn error_sender_fault(code: &str) -> Option<bool> {{");
        w!(self, "    match code {{");
        let (senders, receivers): (Vec<_>, Vec<_>) = codes.iter().partition(|(_, (_, s, _))| *s);
        for (list, v) in [(senders, true), (receivers, false)] {
            if !list.is_empty() {
                let names: Vec<String> = list.iter().map(|(c, _)| format!("\"{c}\"")).collect();
                w!(self, "        {} => Some({v}),", names.join("\n        | "));
            }
        }
        w!(self, "        _ => None,");
        w!(self, "    }}");
        w!(self, "}}");
        w!(self, "");
        Ok(())
    }

    fn pattern_ref(&mut self, java: &str) -> Result<String, String> {
        if let Some(i) = self.patterns.get(java) {
            return Ok(format!("super::patterns::P{i}"));
        }
        let t = pattern::translate(java)?;
        let i = self.pattern_list.len();
        self.pattern_list.push((java.to_owned(), t));
        self.patterns.insert(java.to_owned(), i);
        Ok(format!("super::patterns::P{i}"))
    }

    fn patterns_module(&mut self) {
        w!(self, "/// The models' patterns (Java syntax, as AWS prints them) and their anchored translations.");
        w!(self, "pub(crate) mod patterns {{");
        w!(self, "    use std::sync::LazyLock;");
        w!(self, "");
        w!(self, "    use crate::query::{{compile, Pattern}};");
        w!(self, "");
        let list = std::mem::take(&mut self.pattern_list);
        for (i, (java, t)) in list.iter().enumerate() {
            w!(self, "    pub(crate) static P{i}: Pattern = Pattern {{");
            w!(self, "        source: {},", literal(java));
            w!(self, "        regex: LazyLock::new(|| compile({})),", literal(&t.regex));
            match &t.forbidden {
                Some(f) => w!(self, "        forbidden: Some(LazyLock::new(|| compile({}))),", literal(f)),
                None => w!(self, "        forbidden: None,"),
            }
            w!(self, "    }};");
            w!(self, "");
        }
        w!(self, "    /// Every pattern, for the test that compiles them all.");
        w!(self, "    #[cfg(test)]");
        let refs: Vec<String> = (0..list.len()).map(|i| format!("&P{i}")).collect();
        w!(self, "    pub(crate) static ALL: &[&Pattern] = &[{}];", refs.join(", "));
        w!(self, "}}");
        w!(self, "");
        self.pattern_list = list;
    }

    fn module(&mut self, m: &Model<'_>) -> Result<(), String> {
        w!(self, "/// The shapes of AWS {} ({}), from its botocore model.", m.display, m.namespace);
        w!(self, "pub mod {} {{", m.module);
        // Names must not collide with each other or shadow the prelude.
        let mut type_names = BTreeMap::new();
        let mut rule_names = BTreeMap::new();
        for (name, _) in m.shapes {
            let used = m.input_shapes.contains(name.as_str()) || m.output_shapes.contains(name.as_str());
            if !used {
                continue;
            }
            if let Some(prev) = type_names.insert(type_name(name), name) {
                return Err(format!("{}: shapes `{prev}` and `{name}` get the same Rust name", m.display));
            }
            if let Some(r) = m.rule_name(name)? {
                if let Some(prev) = rule_names.insert(r, name) {
                    return Err(format!("{}: shapes `{prev}` and `{name}` get the same rule name", m.display));
                }
            }
        }
        for reserved in ["Option", "Result", "String", "Vec", "Box", "Default", "Some", "None", "Ok", "Err", "Self"] {
            if type_names.contains_key(reserved) {
                return Err(format!("{}: a shape is named `{reserved}`", m.display));
            }
        }
        let mut first = true;
        for (name, s) in m.shapes {
            let name = name.as_str();
            let is_in = m.input_shapes.contains(name);
            let is_out = m.output_shapes.contains(name);
            if !is_in && !is_out {
                continue;
            }
            match m.kind(name)? {
                "structure" => {
                    if !first {
                        w!(self, "");
                    }
                    first = false;
                    self.structure(m, name, s, is_in, is_out)?;
                }
                "string" if s.get("enum").is_some() => {
                    if !first {
                        w!(self, "");
                    }
                    first = false;
                    self.enumeration(name, s)?;
                }
                _ => {}
            }
        }
        // Rules for the input shapes.
        let mut rules = Vec::new();
        for (name, s) in m.shapes {
            let name = name.as_str();
            if !m.input_shapes.contains(name) {
                continue;
            }
            let Some(rule) = m.rule_name(name)? else { continue };
            let num = |k: &str| s.get(k).and_then(Json::as_i64).map_or_else(|| "None".to_owned(), |v| format!("Some({v})"));
            let text = match m.kind(name)? {
                "string" => {
                    let pattern = match s.get("pattern").and_then(Json::as_str) {
                        Some(p) => format!("Some(&{})", self.pattern_ref(p)?),
                        None => "None".to_owned(),
                    };
                    format!(
                        "static {rule}: crate::query::StringRule = crate::query::StringRule {{\n        min: {},\n        max: {},\n        pattern: {pattern},\n        sensitive: {},\n    }};",
                        num("min"),
                        num("max"),
                        m.sensitive(name)
                    )
                }
                "integer" | "long" => format!(
                    "static {rule}: crate::query::NumberRule = crate::query::NumberRule {{ min: {}, max: {} }};",
                    num("min"),
                    num("max")
                ),
                kind @ ("list" | "map") => {
                    let member = if kind == "list" {
                        field(s, "member", name)?.get("locationName").and_then(Json::as_str).unwrap_or("member")
                    } else {
                        "entry"
                    };
                    format!(
                        "static {rule}: crate::query::ListRule = crate::query::ListRule {{\n        min: {},\n        max: {},\n        member: \"{member}\",\n        flattened: {},\n    }};",
                        num("min"),
                        num("max"),
                        m.flattened(s)
                    )
                }
                _ => continue,
            };
            rules.push((name, text));
        }
        if !rules.is_empty() {
            w!(self, "");
            w!(self, "    // Constraints of the input shapes.");
            for (name, text) in rules {
                w!(self, "");
                w!(self, "    /// `{name}`.");
                w!(self, "    {text}");
            }
        }
        w!(self, "}}");
        w!(self, "");
        Ok(())
    }

    fn enumeration(&mut self, name: &str, s: &Json) -> Result<(), String> {
        let ty = type_name(name);
        // What AWS sends where it differs from the model's value; the model's is still read.
        let sent = |v: &str| SENT_AS.iter().find(|(t, m, _)| *t == name && *m == v).map(|(_, _, w)| *w);
        let values: Vec<&str> = s.get("enum").and_then(Json::as_array).unwrap_or_default().iter().filter_map(Json::as_str).collect();
        if values.is_empty() {
            return Err(format!("{name}: empty enum"));
        }
        let mut variants: Vec<(String, &str)> = Vec::new();
        for v in &values {
            let mut base = variant_name(v);
            let mut n = 2;
            while variants.iter().any(|(x, _)| *x == base) {
                base = format!("{}{n}", variant_name(v));
                n += 1;
            }
            variants.push((base, v));
        }
        w!(self, "    /// `{name}`: one of {}.", values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", "));
        w!(self, "    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]");
        w!(self, "    pub enum {ty} {{");
        for (i, (v, wire)) in variants.iter().enumerate() {
            match sent(wire) {
                Some(w) => w!(self, "        /// `{wire}`, sent as `{w}`."),
                None => w!(self, "        /// `{wire}`."),
            }
            if i == 0 {
                w!(self, "        #[default]");
            }
            w!(self, "        {v},");
        }
        w!(self, "    }}");
        w!(self, "");
        w!(self, "    impl {ty} {{");
        w!(self, "        /// Every value, in model order.");
        w!(self, "        pub const ALL: &'static [{ty}] = &[{}];", variants.iter().map(|(v, _)| format!("{ty}::{v}")).collect::<Vec<_>>().join(", "));
        w!(self, "");
        w!(self, "        /// The wire value.");
        w!(self, "        pub const fn as_str(&self) -> &'static str {{");
        w!(self, "            match self {{");
        for (v, wire) in &variants {
            w!(self, "                {ty}::{v} => {},", literal(sent(wire).unwrap_or(wire)));
        }
        w!(self, "            }}");
        w!(self, "        }}");
        w!(self, "");
        w!(self, "        /// The value for a wire value (exact match).");
        w!(self, "        pub fn from_wire(s: &str) -> Option<{ty}> {{");
        w!(self, "            match s {{");
        for (v, wire) in &variants {
            w!(self, "                {} => Some({ty}::{v}),", literal(wire));
            if let Some(w) = sent(wire) {
                w!(self, "                {} => Some({ty}::{v}),", literal(w));
            }
        }
        w!(self, "                _ => None,");
        w!(self, "            }}");
        w!(self, "        }}");
        w!(self, "    }}");
        w!(self, "");
        w!(self, "    impl std::fmt::Display for {ty} {{");
        w!(self, "        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {{");
        w!(self, "            f.write_str(self.as_str())");
        w!(self, "        }}");
        w!(self, "    }}");
        w!(self, "");
        w!(self, "    impl std::str::FromStr for {ty} {{");
        w!(self, "        type Err = crate::types::UnknownEnumValue;");
        w!(self, "        fn from_str(s: &str) -> Result<{ty}, crate::types::UnknownEnumValue> {{");
        w!(self, "            {ty}::from_wire(s).ok_or_else(|| crate::types::UnknownEnumValue(s.to_owned()))");
        w!(self, "        }}");
        w!(self, "    }}");
        w!(self, "");
        w!(self, "    impl crate::query::WireEnum for {ty} {{");
        w!(self, "        const VALUE_SET: &'static str = \"[{}]\";", values.join(", "));
        w!(self, "        fn from_wire(s: &str) -> Option<{ty}> {{");
        w!(self, "            {ty}::from_wire(s)");
        w!(self, "        }}");
        w!(self, "    }}");
        w!(self, "");
        w!(self, "    impl crate::xml::XmlValue for {ty} {{");
        w!(self, "        fn write_xml(&self, out: &mut String) {{");
        w!(self, "            out.push_str(self.as_str());");
        w!(self, "        }}");
        w!(self, "    }}");
        Ok(())
    }

    fn structure(&mut self, m: &Model<'_>, name: &str, s: &Json, is_in: bool, is_out: bool) -> Result<(), String> {
        let ty = type_name(name);
        let req = required(s);
        struct Field<'j> {
            member: &'j str,
            wire: &'j str,
            rust: String,
            ty: String,
            shape: &'j str,
            required: bool,
            sensitive: bool,
        }
        let mut fields = Vec::new();
        let mut seen = BTreeSet::new();
        for (member, mj) in members(s) {
            let shape = str_field(mj, "shape", member)?;
            let rust = field_name(member);
            if !seen.insert(rust.clone()) {
                return Err(format!("{name}: two members become field `{rust}`"));
            }
            let required = req.contains(&member.as_str());
            let base = m.rust_type(shape)?;
            fields.push(Field {
                member,
                wire: m.location_name(mj).unwrap_or(member),
                ty: if required { base } else { format!("Option<{base}>") },
                rust,
                shape,
                required,
                sensitive: m.sensitive(shape),
            });
        }
        let any_sensitive = fields.iter().any(|f| f.sensitive);
        let role = match (is_in, is_out) {
            (true, true) => "input and output",
            (true, false) => "input",
            _ => "output",
        };
        w!(self, "    /// `{name}` ({role}).");
        if any_sensitive {
            w!(self, "    ///");
            w!(self, "    /// `Debug` hides the sensitive members.");
            w!(self, "    #[derive(Clone, PartialEq, Eq, Default)]");
        } else {
            w!(self, "    #[derive(Debug, Clone, PartialEq, Eq, Default)]");
        }
        if fields.is_empty() {
            w!(self, "    pub struct {ty} {{}}");
        } else {
            w!(self, "    pub struct {ty} {{");
            for f in &fields {
                if f.required {
                    w!(self, "        /// `{}` (required).", f.member);
                } else {
                    w!(self, "        /// `{}`.", f.member);
                }
                w!(self, "        pub {}: {},", f.rust, f.ty);
            }
            w!(self, "    }}");
        }
        if any_sensitive {
            w!(self, "");
            w!(self, "    impl std::fmt::Debug for {ty} {{");
            w!(self, "        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {{");
            w!(self, "            f.debug_struct(\"{ty}\")");
            for f in &fields {
                match (f.sensitive, f.required) {
                    (false, _) => w!(self, "                .field(\"{0}\", &self.{0})", f.rust),
                    (true, true) => w!(self, "                .field(\"{}\", &crate::types::Redacted)", f.rust),
                    (true, false) => {
                        w!(self, "                .field(\"{0}\", &self.{0}.as_ref().map(|_| crate::types::Redacted))", f.rust);
                    }
                }
            }
            w!(self, "                .finish()");
            w!(self, "        }}");
            w!(self, "    }}");
        }
        if is_in {
            w!(self, "");
            w!(self, "    impl crate::query::Decode for {ty} {{");
            if fields.is_empty() {
                w!(self, "        fn decode(_: &mut crate::query::Decoder<'_>) -> {ty} {{");
                w!(self, "            {ty} {{}}");
            } else {
                w!(self, "        fn decode(d: &mut crate::query::Decoder<'_>) -> {ty} {{");
                w!(self, "            {ty} {{");
                for f in &fields {
                    let how = if f.required { "required" } else { "member" };
                    w!(self, "                {}: d.{how}(\"{}\", |d| {}),", f.rust, f.wire, m.decode_expr(f.shape)?);
                }
                w!(self, "            }}");
            }
            w!(self, "        }}");
            w!(self, "    }}");
        }
        if is_in {
            self.member_accessors(m, &ty, fields.iter().map(|f| (f.member, f.rust.as_str(), f.shape, f.required)))?;
        }
        if is_out {
            w!(self, "");
            w!(self, "    impl crate::xml::XmlValue for {ty} {{");
            if fields.is_empty() {
                w!(self, "        fn write_xml(&self, _: &mut String) {{");
            } else {
                w!(self, "        fn write_xml(&self, out: &mut String) {{");
                for f in &fields {
                    let value = if f.required { format!("&self.{}", f.rust) } else { "v".to_owned() };
                    let call = match m.kind(f.shape)? {
                        "list" => {
                            let ls = m.shape(f.shape)?;
                            let member = field(ls, "member", f.shape)?;
                            let elem = str_field(member, "shape", f.shape)?;
                            if matches!(m.kind(elem)?, "list" | "map") {
                                return Err(format!("{name}.{}: nested collections are not supported in output", f.member));
                            }
                            if m.flattened(ls) {
                                format!("crate::xml::flat_list(out, \"{}\", {value});", f.wire)
                            } else {
                                let member_name = member.get("locationName").and_then(Json::as_str).unwrap_or("member");
                                format!("crate::xml::list(out, \"{}\", \"{member_name}\", {value});", f.wire)
                            }
                        }
                        "map" => {
                            let ms = m.shape(f.shape)?;
                            if m.flattened(ms)
                                || field(ms, "key", f.shape)?.get("locationName").is_some()
                                || field(ms, "value", f.shape)?.get("locationName").is_some()
                            {
                                return Err(format!("{name}.{}: flattened or renamed maps are not supported", f.member));
                            }
                            format!("crate::xml::map(out, \"{}\", {value});", f.wire)
                        }
                        _ if f.required => format!("crate::xml::element(out, \"{}\", {value});", f.wire),
                        _ => format!("crate::xml::opt_element(out, \"{}\", self.{}.as_ref());", f.wire, f.rust),
                    };
                    let is_collection = matches!(m.kind(f.shape)?, "list" | "map");
                    if f.required || !is_collection {
                        w!(self, "            {call}");
                    } else {
                        w!(self, "            if let Some(v) = &self.{} {{", f.rust);
                        w!(self, "                {call}");
                        w!(self, "            }}");
                    }
                }
            }
            w!(self, "        }}");
            w!(self, "    }}");
        }
        Ok(())
    }

    /// `member_str` and `member_strs`: read a top-level string (or enum) member, or a list of
    /// strings, by its wire name — what authorization needs to find resource names and
    /// condition-key values without a hand-written match per operation.
    fn member_accessors<'f>(
        &mut self,
        m: &Model<'_>,
        ty: &str,
        fields: impl Iterator<Item = (&'f str, &'f str, &'f str, bool)>,
    ) -> Result<(), String> {
        let mut strs = Vec::new();
        let mut lists = Vec::new();
        for (member, rust, shape, required) in fields {
            let s = m.shape(shape)?;
            match m.kind(shape)? {
                "string" => {
                    // Both `String` and the generated enums have `as_str`.
                    let is_enum = s.get("enum").is_some();
                    strs.push(match (required, is_enum) {
                        (true, _) => format!("\"{member}\" => Some(self.{rust}.as_str()),"),
                        (false, false) => format!("\"{member}\" => self.{rust}.as_deref(),"),
                        (false, true) => format!("\"{member}\" => self.{rust}.as_ref().map(|v| v.as_str()),"),
                    });
                }
                "list" => {
                    let elem = str_field(field(s, "member", shape)?, "shape", shape)?;
                    if m.kind(elem)? == "string" && m.shape(elem)?.get("enum").is_none() {
                        if required {
                            lists.push(format!("\"{member}\" => Some(self.{rust}.as_slice()),"));
                        } else {
                            lists.push(format!("\"{member}\" => self.{rust}.as_deref(),"));
                        }
                    }
                }
                _ => {}
            }
        }
        w!(self, "");
        w!(self, "    impl {ty} {{");
        w!(self, "        /// A top-level string or enum member's value, by its wire name.");
        w!(self, "        pub fn member_str(&self, member: &str) -> Option<&str> {{");
        if strs.is_empty() {
            w!(self, "            let _ = member;");
            w!(self, "            None");
        } else {
            w!(self, "            match member {{");
            for a in &strs {
                w!(self, "                {a}");
            }
            w!(self, "                _ => None,");
            w!(self, "            }}");
        }
        w!(self, "        }}");
        w!(self, "");
        w!(self, "        /// A top-level list-of-strings member, by its wire name.");
        w!(self, "        pub fn member_strs(&self, member: &str) -> Option<&[String]> {{");
        if lists.is_empty() {
            w!(self, "            let _ = member;");
            w!(self, "            None");
        } else {
            w!(self, "            match member {{");
            for a in &lists {
                w!(self, "                {a}");
            }
            w!(self, "                _ => None,");
            w!(self, "            }}");
        }
        w!(self, "        }}");
        w!(self, "    }}");
        Ok(())
    }
}

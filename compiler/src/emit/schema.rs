//! Emission of schema validators: one function per schema, each keyword a
//! test on the value, `$ref` a call. Shared by API modules (request bodies
//! and parameters) and by standalone schema compilation.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;

use super::{Names, snake};
use crate::ir::*;
use crate::lower::{is_pure_reference, resolve_alias};

/// Emits the validators of one schema arena.
pub(super) struct SchemaEmitter<'a> {
    schemas: &'a [Schema],
    /// Function name of each schema (pure references share their target's).
    fns: Vec<Ident>,
    /// Module-level statics (compiled patterns, enum and const literals).
    statics: Vec<TokenStream>,
}

/// Escapes a constant message for `format_args!`.
fn message(text: &str) -> TokenStream {
    let lit = Literal::string(&text.replace('{', "{{").replace('}', "}}"));
    quote!(format_args!(#lit))
}

/// A failed rule: record it, and return at once when the verdict is all
/// that matters (inside `anyOf`/`oneOf`/`not`) or the error cap is reached.
fn fail(rule: &str, msg: TokenStream) -> TokenStream {
    quote! {
        ok = out.fail(#rule, #msg);
        if out.should_stop() {
            return false;
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

pub(super) fn f64_lit(x: f64) -> Literal {
    Literal::f64_unsuffixed(x)
}

pub(super) fn u64_lit(x: u64) -> Literal {
    Literal::u64_unsuffixed(x)
}

pub(super) fn usize_lit(x: usize) -> Literal {
    Literal::usize_unsuffixed(x)
}

impl<'a> SchemaEmitter<'a> {
    pub(super) fn new(schemas: &'a [Schema]) -> SchemaEmitter<'a> {
        let mut names = Names::default();
        let own: Vec<Ident> = schemas
            .iter()
            .enumerate()
            .map(|(i, s)| {
                names.unique(match &s.name {
                    Some(n) => format!("schema_{}", snake(n)),
                    None => format!("schema_{i}"),
                })
            })
            .collect();
        let fns = (0..schemas.len())
            .map(|i| own[resolve_alias(schemas, SchemaId(i)).0].clone())
            .collect();
        SchemaEmitter {
            schemas,
            fns,
            statics: Vec::new(),
        }
    }

    pub(super) fn schema_fn(&self, id: SchemaId) -> &Ident {
        &self.fns[id.0]
    }

    /// The validator functions reachable from `roots`, then the statics
    /// they use.
    pub(super) fn emit(mut self, roots: &[SchemaId]) -> (Vec<TokenStream>, Vec<TokenStream>) {
        let reachable = self.reachable(roots);
        let fns = (0..self.schemas.len())
            .filter(|i| reachable[*i])
            .filter_map(|i| self.schema(SchemaId(i)))
            .collect();
        (fns, self.statics)
    }

    /// Schemas whose validator function is called, from `roots` through the
    /// calls generated code makes (a boolean `additionalProperties` or a
    /// read-only property is checked inline, without a call).
    fn reachable(&self, roots: &[SchemaId]) -> Vec<bool> {
        let schemas = self.schemas;
        let target = |id: SchemaId| resolve_alias(schemas, id);
        let mut seen = vec![false; schemas.len()];
        let mut stack = roots.to_vec();
        while let Some(id) = stack.pop() {
            let id = target(id);
            if std::mem::replace(&mut seen[id.0], true) {
                continue;
            }
            let s = &schemas[id.0];
            stack.extend(s.items);
            stack.extend(
                s.properties
                    .iter()
                    .map(|(_, p)| *p)
                    .filter(|p| !schemas[target(*p).0].read_only),
            );
            stack.extend(
                s.additional_properties
                    .filter(|a| schemas[target(*a).0].always.is_none()),
            );
            stack.extend(s.all_of.iter().chain(&s.any_of).chain(&s.one_of).copied());
            stack.extend(s.not);
            stack.extend(s.reference);
        }
        seen
    }

    /// One validator function per schema; `None` for pure references,
    /// whose callers call the target directly.
    fn schema(&mut self, id: SchemaId) -> Option<TokenStream> {
        let schemas = self.schemas;
        let s = &schemas[id.0];
        if is_pure_reference(s) {
            return None;
        }
        let name = self.schema_fn(id).clone();
        let doc = match &s.origin {
            Some(o) => format!(" `{}#{}`", o.file, o.pointer),
            None => " Implicit schema.".to_owned(),
        };
        if let Some(always) = s.always {
            let body = if always {
                quote!(true)
            } else {
                quote!(out.fail("false", format_args!("no value is allowed here")))
            };
            let out = if always { quote!(_out) } else { quote!(out) };
            return Some(quote! {
                #[doc = #doc]
                fn #name(_v: &Value<'_>, #out: &mut Violations) -> bool {
                    #body
                }
            });
        }
        // The type check returns at once; the others record and go on.
        let type_check = s.types.as_ref().map(|t| type_check(t));
        let mut checks = Vec::new();
        checks.extend(self.string_checks(id, s));
        checks.extend(number_checks(s));
        checks.extend(self.array_checks(s));
        checks.extend(self.object_checks(s));
        checks.extend(self.value_checks(id, s));
        checks.extend(self.composition_checks(s));
        let uses_out = !checks.is_empty() || type_check.is_some();
        let (v, out) = if uses_out {
            (quote!(v), quote!(out))
        } else {
            (quote!(_v), quote!(_out))
        };
        let body = if checks.is_empty() {
            quote! {
                #type_check
                true
            }
        } else {
            quote! {
                #type_check
                let mut ok = true;
                #(#checks)*
                ok
            }
        };
        Some(quote! {
            #[doc = #doc]
            fn #name(#v: &Value<'_>, #out: &mut Violations) -> bool {
                #body
            }
        })
    }

    fn string_checks(&mut self, id: SchemaId, s: &Schema) -> Option<TokenStream> {
        let mut checks = Vec::new();
        if s.min_length.is_some() || s.max_length.is_some() {
            // JSON Schema counts code points, not bytes.
            checks.push(quote!(let len = s.chars().count();));
        }
        if let Some(n) = s.min_length {
            let f = fail(
                "minLength",
                message(&format!("must be at least {n} character{} long", plural(n))),
            );
            let n = u64_lit(n);
            checks.push(quote!(if (len as u64) < #n { #f }));
        }
        if let Some(n) = s.max_length {
            let f = fail(
                "maxLength",
                message(&format!("must be at most {n} character{} long", plural(n))),
            );
            let n = u64_lit(n);
            checks.push(quote!(if (len as u64) > #n { #f }));
        }
        if let Some(p) = &s.pattern {
            let re = format_ident!("PATTERN_{}", id.0);
            let regex = &p.regex;
            self.statics.push(quote! {
                static #re: LazyLock<Regex> = LazyLock::new(|| Regex::new(#regex).expect("pattern checked at build time"));
            });
            let f = fail("pattern", message(&format!("must match {}", p.source)));
            checks.push(quote!(if !#re.is_match(s) { #f }));
        }
        match s.format {
            Some(Format::Uuid) => checks.push(format_check("is_uuid", "must be a uuid")),
            Some(Format::Date) => {
                checks.push(format_check("is_date", "must be a date (YYYY-MM-DD)"))
            }
            Some(Format::DateTime) => checks.push(format_check(
                "is_date_time",
                "must be an RFC 3339 date-time",
            )),
            _ => {}
        }
        if checks.is_empty() {
            return None;
        }
        Some(quote! {
            if let Value::String(s) = v {
                #(#checks)*
            }
        })
    }

    fn array_checks(&self, s: &Schema) -> Option<TokenStream> {
        let mut checks = Vec::new();
        if let Some(n) = s.min_items {
            let f = fail(
                "minItems",
                message(&format!("must have at least {n} item{}", plural(n))),
            );
            let n = u64_lit(n);
            checks.push(quote!(if (items.len() as u64) < #n { #f }));
        }
        if let Some(n) = s.max_items {
            let f = fail(
                "maxItems",
                message(&format!("must have at most {n} item{}", plural(n))),
            );
            let n = u64_lit(n);
            checks.push(quote!(if (items.len() as u64) > #n { #f }));
        }
        if s.unique_items {
            let f = fail(
                "uniqueItems",
                quote!(format_args!(
                    "must not contain equal items ({} and {})",
                    i, j
                )),
            );
            checks.push(quote!(if let Some((i, j)) = json::first_duplicate(items) { #f }));
        }
        if let Some(items) = s.items {
            let f = self.schema_fn(items);
            checks.push(quote! {
                for (i, item) in items.iter().enumerate() {
                    let mark = out.push_index(i);
                    let item_ok = #f(item, out);
                    out.pop(mark);
                    if !item_ok {
                        ok = false;
                        if out.should_stop() {
                            return false;
                        }
                    }
                }
            });
        }
        if checks.is_empty() {
            return None;
        }
        Some(quote! {
            if let Value::Array(items) = v {
                #(#checks)*
            }
        })
    }

    fn object_checks(&self, s: &Schema) -> Option<TokenStream> {
        let schemas = self.schemas;
        let mut checks = Vec::new();
        if let Some(n) = s.min_properties {
            let f = fail(
                "minProperties",
                message(&format!(
                    "must have at least {n} propert{}",
                    if n == 1 { "y" } else { "ies" }
                )),
            );
            let n = u64_lit(n);
            checks.push(quote!(if (members.len() as u64) < #n { #f }));
        }
        if let Some(n) = s.max_properties {
            let f = fail(
                "maxProperties",
                message(&format!(
                    "must have at most {n} propert{}",
                    if n == 1 { "y" } else { "ies" }
                )),
            );
            let n = u64_lit(n);
            checks.push(quote!(if (members.len() as u64) > #n { #f }));
        }
        let read_only = |id: SchemaId| schemas[resolve_alias(schemas, id).0].read_only;
        // Required properties that are declared are tracked while walking
        // the members; others need a search.
        let tracked: Vec<&str> = s
            .required
            .iter()
            .map(String::as_str)
            .filter(|r| s.properties.iter().any(|(p, id)| p == r && !read_only(*id)))
            .collect();
        let additional = s
            .additional_properties
            .map(|a| (a, &schemas[resolve_alias(schemas, a).0]));
        let additional_open = match additional {
            None => true,
            Some((_, a)) => a.always == Some(true),
        };
        if !s.properties.is_empty() || !additional_open {
            let arms = s.properties.iter().map(|(prop, id)| {
                if read_only(*id) {
                    let msg = message(&format!("property \"{prop}\" is read-only"));
                    return quote!(#prop => out.fail("readOnly", #msg),);
                }
                let f = self.schema_fn(*id);
                match tracked.iter().position(|r| r == prop) {
                    Some(i) => {
                        let i = usize_lit(i);
                        quote!(#prop => { seen[#i] = true; #f(value, out) })
                    }
                    None => quote!(#prop => #f(value, out),),
                }
            });
            let fallback = match additional {
                None => quote!(_ => true,),
                Some((_, a)) if a.always == Some(true) => quote!(_ => true,),
                Some((_, a)) if a.always == Some(false) => {
                    quote!(_ => out.fail("additionalProperties", format_args!("unknown property \"{}\"", key)),)
                }
                Some((id, _)) => {
                    let f = self.schema_fn(id);
                    quote!(_ => #f(value, out),)
                }
            };
            if !tracked.is_empty() {
                let n = usize_lit(tracked.len());
                checks.push(quote!(let mut seen = [false; #n];));
            }
            checks.push(quote! {
                for (key, value) in members {
                    let mark = out.push_key(key);
                    let member_ok = match &**key {
                        #(#arms)*
                        #fallback
                    };
                    out.pop(mark);
                    if !member_ok {
                        ok = false;
                        if out.should_stop() {
                            return false;
                        }
                    }
                }
            });
            for (i, prop) in tracked.iter().enumerate() {
                let i = usize_lit(i);
                let f = fail(
                    "required",
                    message(&format!("missing required property \"{prop}\"")),
                );
                checks.push(quote!(if !seen[#i] { #f }));
            }
        }
        for prop in &s.required {
            let declared = s.properties.iter().find(|(p, _)| p == prop);
            if tracked.contains(&prop.as_str()) || declared.is_some_and(|(_, id)| read_only(*id)) {
                continue;
            }
            let f = fail(
                "required",
                message(&format!("missing required property \"{prop}\"")),
            );
            checks.push(quote!(if !members.iter().any(|(k, _)| k == #prop) { #f }));
        }
        if checks.is_empty() {
            return None;
        }
        Some(quote! {
            if let Value::Object(members) = v {
                #(#checks)*
            }
        })
    }

    fn value_checks(&mut self, id: SchemaId, s: &Schema) -> Vec<TokenStream> {
        let mut checks = Vec::new();
        if let Some(values) = &s.enumeration {
            let shown: Vec<String> = values
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect();
            let f = fail(
                "enum",
                message(&format!("must be one of: {}", shown.join(", "))),
            );
            if values.iter().all(Value::is_string) {
                let strings = values.iter().filter_map(Value::as_str);
                checks.push(quote! {
                    let in_enum = match v {
                        Value::String(s) => match &**s {
                            #(#strings)|* => true,
                            _ => false,
                        },
                        _ => false,
                    };
                    if !in_enum { #f }
                });
            } else {
                let name = format_ident!("ENUM_{}", id.0);
                let text = Value::Array(values.clone()).to_string();
                self.statics.push(quote! {
                    static #name: LazyLock<Value<'static>> = LazyLock::new(|| Value::literal(#text));
                });
                checks.push(quote!(if !#name.array_contains(v) { #f }));
            }
        }
        if let Some(c) = &s.constant {
            let shown = c.as_str().map_or_else(|| c.to_string(), str::to_owned);
            let f = fail("const", message(&format!("must be {shown}")));
            let name = format_ident!("CONST_{}", id.0);
            let text = c.to_string();
            self.statics.push(quote! {
                static #name: LazyLock<Value<'static>> = LazyLock::new(|| Value::literal(#text));
            });
            checks.push(quote!(if *#name != *v { #f }));
        }
        checks
    }

    fn composition_checks(&self, s: &Schema) -> Vec<TokenStream> {
        let mut checks = Vec::new();
        for id in s.reference.iter().chain(&s.all_of) {
            let f = self.schema_fn(*id);
            checks.push(quote! {
                if !#f(v, out) {
                    ok = false;
                    if out.should_stop() {
                        return false;
                    }
                }
            });
        }
        if !s.any_of.is_empty() {
            let fs = s.any_of.iter().map(|id| self.schema_fn(*id));
            let f = fail("anyOf", message("must match at least one schema of anyOf"));
            checks.push(quote! {
                out.begin_probe();
                let matched = #(#fs(v, out))||*;
                out.end_probe();
                if !matched { #f }
            });
        }
        if !s.one_of.is_empty() {
            let fs = s.one_of.iter().map(|id| self.schema_fn(*id));
            let f = fail(
                "oneOf",
                quote!(format_args!(
                    "must match exactly one schema of oneOf, matched {}",
                    matched
                )),
            );
            checks.push(quote! {
                out.begin_probe();
                let matched = [#(#fs(v, out)),*].iter().filter(|m| **m).count();
                out.end_probe();
                if matched != 1 { #f }
            });
        }
        if let Some(id) = s.not {
            let f = self.schema_fn(id);
            let fail = fail("not", message("must not match the schema of not"));
            checks.push(quote! {
                out.begin_probe();
                let matched = #f(v, out);
                out.end_probe();
                if matched { #fail }
            });
        }
        checks
    }
}

fn format_check(func: &str, msg: &str) -> TokenStream {
    let func = Ident::new(func, Span::call_site());
    let f = fail("format", message(msg));
    quote!(if !formats::#func(s) { #f })
}

fn type_check(types: &[JsonType]) -> TokenStream {
    let has = |t| types.contains(&t);
    let mut arms = Vec::new();
    if has(JsonType::Null) {
        arms.push(quote!(Value::Null => true,));
    }
    if has(JsonType::Boolean) {
        arms.push(quote!(Value::Bool(_) => true,));
    }
    if has(JsonType::Number) {
        arms.push(quote!(Value::Number(_) => true,));
    } else if has(JsonType::Integer) {
        arms.push(quote!(Value::Number(n) => n.is_integer(),));
    }
    if has(JsonType::String) {
        arms.push(quote!(Value::String(_) => true,));
    }
    if has(JsonType::Array) {
        arms.push(quote!(Value::Array(_) => true,));
    }
    if has(JsonType::Object) {
        arms.push(quote!(Value::Object(_) => true,));
    }
    let names: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
    let msg = message(&format!("must be {}", names.join(" or ")));
    quote! {
        let type_ok = match v {
            #(#arms)*
            _ => false,
        };
        if !type_ok {
            return out.fail("type", #msg);
        }
    }
}

fn number_checks(s: &Schema) -> Option<TokenStream> {
    let mut checks = Vec::new();
    let mut bound =
        |b: &Option<Bound>, rule: &str, op: &str, fails_when: fn(TokenStream) -> TokenStream| {
            if let Some(b) = b {
                let f = fail(rule, message(&format!("must be {op} {}", b.text)));
                let value = f64_lit(b.value);
                let cond = fails_when(quote!(#value));
                checks.push(quote!(if #cond { #f }));
            }
        };
    bound(&s.minimum, "minimum", "≥", |b| quote!(x < #b));
    bound(
        &s.exclusive_minimum,
        "exclusiveMinimum",
        ">",
        |b| quote!(x <= #b),
    );
    bound(&s.maximum, "maximum", "≤", |b| quote!(x > #b));
    bound(
        &s.exclusive_maximum,
        "exclusiveMaximum",
        "<",
        |b| quote!(x >= #b),
    );
    if let Some(m) = &s.multiple_of {
        let f = fail(
            "multipleOf",
            message(&format!("must be a multiple of {}", m.text)),
        );
        let d = f64_lit(m.value);
        checks.push(quote!(if !n.is_multiple_of(#d) { #f }));
    }
    match s.format {
        Some(Format::Int32) => {
            let f = fail("format", message("must be a 32-bit integer"));
            checks.push(quote!(if !formats::is_int32(*n) { #f }));
        }
        Some(Format::Int64) => {
            let f = fail("format", message("must be a 64-bit integer"));
            checks.push(quote!(if !formats::is_int64(*n) { #f }));
        }
        _ => {}
    }
    if checks.is_empty() {
        return None;
    }
    // Bounds compare as f64; the other checks read the number itself.
    let bounded = [
        &s.minimum,
        &s.exclusive_minimum,
        &s.maximum,
        &s.exclusive_maximum,
    ]
    .iter()
    .any(|b| b.is_some());
    let x = bounded.then(|| quote!(let x = n.as_f64();));
    Some(quote! {
        if let Value::Number(n) = v {
            #x
            #(#checks)*
        }
    })
}

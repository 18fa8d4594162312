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
///
/// Each schema gets a plain validator `schema_x(v, out) -> bool`, generic
/// over the [`Sink`] it reports to: `Violations` records every broken rule,
/// `Verdict` only answers, returning at the first failure. Entry points try
/// the `Verdict` instance first, so that a valid value costs no error
/// bookkeeping, and run the `Violations` one only to explain a rejection.
///
/// Schemas that take part in `unevaluatedProperties`/`unevaluatedItems`
/// (those that use the keywords, and what they apply in place) also get a
/// tracking variant `schema_x_ev(v, out, ev)` that records which members
/// and items it evaluated; only those paths pay for the bookkeeping.
///
/// The validators of recursive schemas (on a `$ref` cycle) enter the
/// nesting guard (`Sink::descend`); the others nest no deeper than the
/// schema does, and cost no counting.
///
/// [`Sink`]: https://docs.rs/douane-runtime (`douane_runtime::validate::Sink`)
pub(super) struct SchemaEmitter<'a> {
    schemas: &'a [Schema],
    /// Function name of each schema (pure references share their target's).
    fns: Vec<Ident>,
    /// Which schemas are called through their tracking variant.
    tracked: Vec<bool>,
    /// Which schemas' validators can call themselves again (the schema
    /// is on a `$ref` cycle): only those enter the nesting guard.
    recursive: Vec<bool>,
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
            tracked: vec![false; schemas.len()],
            recursive: vec![false; schemas.len()],
            statics: Vec::new(),
        }
    }

    pub(super) fn schema_fn(&self, id: SchemaId) -> &Ident {
        &self.fns[id.0]
    }

    fn target(&self, id: SchemaId) -> SchemaId {
        resolve_alias(self.schemas, id)
    }

    fn schema_of(&self, id: SchemaId) -> &'a Schema {
        &self.schemas[resolve_alias(self.schemas, id).0]
    }

    /// The validator functions used from `roots`, then the statics they use.
    pub(super) fn emit(mut self, roots: &[SchemaId]) -> (Vec<TokenStream>, Vec<TokenStream>) {
        let (plain, tracked) = self.usage(roots);
        self.tracked = tracked.clone();
        self.recursive = self.recursive();
        let mut fns = Vec::new();
        for i in 0..self.schemas.len() {
            let id = SchemaId(i);
            if is_pure_reference(&self.schemas[i]) {
                continue;
            }
            if plain[i] || tracked[i] {
                self.statics_for(id);
            }
            if plain[i] {
                fns.push(self.function(id, false));
            }
            if tracked[i] {
                fns.push(self.function(id, true));
            }
        }
        (fns, self.statics)
    }

    /// Which schemas are called plainly and which through their tracking
    /// variant, from `roots` through the calls generated code makes (a
    /// boolean subschema or a read-only property is checked inline).
    fn usage(&self, roots: &[SchemaId]) -> (Vec<bool>, Vec<bool>) {
        let n = self.schemas.len();
        let (mut plain, mut tracked) = (vec![false; n], vec![false; n]);
        let mut stack: Vec<(SchemaId, bool)> = roots.iter().map(|r| (*r, false)).collect();
        while let Some((id, track)) = stack.pop() {
            let id = self.target(id);
            let s = &self.schemas[id.0];
            if s.always.is_some() && track {
                // Boolean schemas evaluate nothing: called plainly.
                stack.push((id, false));
                continue;
            }
            let seen = if track { &mut tracked } else { &mut plain };
            if std::mem::replace(&mut seen[id.0], true) {
                continue;
            }
            let uses_unevaluated =
                s.unevaluated_properties.is_some() || s.unevaluated_items.is_some();
            if !track && uses_unevaluated {
                // The plain validator only wraps the tracking one.
                stack.push((id, true));
                continue;
            }
            stack.extend(self.plain_callees(s).map(|c| (c, false)));
            stack.extend(in_place(s).map(|c| (c, track)));
        }
        (plain, tracked)
    }

    /// The subschemas that a schema's validator calls plainly: on its
    /// members and items, and `not` (a boolean subschema or a read-only
    /// property is checked inline). [`in_place`] gives the others.
    fn plain_callees<'s>(&'s self, s: &'s Schema) -> impl Iterator<Item = SchemaId> + 's {
        let inline = |c: &&SchemaId| self.schema_of(**c).always.is_none();
        s.items
            .iter()
            .chain(&s.prefix_items)
            .chain(&s.contains)
            .chain(
                s.properties
                    .iter()
                    .map(|(_, p)| p)
                    .filter(|p| !self.schema_of(**p).read_only),
            )
            .chain(s.pattern_properties.iter().map(|(_, p)| p))
            .chain(s.additional_properties.iter().filter(inline))
            .chain(&s.property_names)
            .chain(&s.not)
            .chain(s.unevaluated_properties.iter().filter(inline))
            .chain(s.unevaluated_items.iter().filter(inline))
            .copied()
    }

    /// Which schemas' validators can call themselves again, through the
    /// calls generated code makes. In-place loops are refused before
    /// (`check::schema_loops`), so every such cycle goes down into the
    /// instance: these are the validators whose nesting follows the
    /// instance's, and the only ones that need the nesting guard.
    fn recursive(&self) -> Vec<bool> {
        let calls: Vec<Vec<usize>> = self
            .schemas
            .iter()
            .map(|s| {
                if s.always.is_some() {
                    return Vec::new();
                }
                self.plain_callees(s)
                    .chain(in_place(s))
                    .map(|c| self.target(c).0)
                    .collect()
            })
            .collect();
        on_cycles(&calls)
    }

    /// A call of schema `id` on `v`: through its tracking variant when the
    /// caller tracks, plainly otherwise.
    ///
    /// A tracked subschema records into a fresh set, merged into `ev` only
    /// when it matches: its own `unevaluated*` must not see its siblings'
    /// annotations, and a failed branch's annotations do not count.
    fn call(&self, id: SchemaId, track: bool) -> TokenStream {
        let f = self.schema_fn(id);
        if track && self.schema_of(id).always.is_none() {
            let f_ev = format_ident!("{}_ev", f);
            quote! {{
                let mut e = Evaluated::default();
                let m = #f_ev(v, out, &mut e);
                if m {
                    ev.merge(&e);
                }
                m
            }}
        } else {
            quote!(#f(v, out))
        }
    }

    /// Compiled patterns and literals of a schema, once whatever the variants.
    fn statics_for(&mut self, id: SchemaId) {
        let s = &self.schemas[id.0];
        if let Some(p) = &s.pattern {
            self.statics
                .push(pattern_static(&format_ident!("PATTERN_{}", id.0), p));
        }
        for (k, (p, _)) in s.pattern_properties.iter().enumerate() {
            self.statics
                .push(pattern_static(&format_ident!("PATTERN_{}_{}", id.0, k), p));
        }
        if let Some(values) = &s.enumeration {
            if !values.iter().all(Value::is_string) {
                let name = format_ident!("ENUM_{}", id.0);
                let text = Value::Array(values.clone()).to_string();
                self.statics.push(quote! {
                    static #name: LazyLock<Value<'static>> = LazyLock::new(|| Value::literal(#text));
                });
            }
        }
        if let Some(c) = &s.constant {
            let name = format_ident!("CONST_{}", id.0);
            let text = c.to_string();
            self.statics.push(quote! {
                static #name: LazyLock<Value<'static>> = LazyLock::new(|| Value::literal(#text));
            });
        }
    }

    /// The plain (`track == false`) or tracking validator of schema `id`.
    fn function(&self, id: SchemaId, track: bool) -> TokenStream {
        let s = &self.schemas[id.0];
        let name = if track {
            format_ident!("{}_ev", self.schema_fn(id))
        } else {
            self.schema_fn(id).clone()
        };
        let doc = match &s.origin {
            // Pointers may hold control characters (a key with a tab):
            // spelled out, as a doc comment cannot carry them.
            Some(o) => format!(" `{}#{}`", o.file, o.pointer.escape_debug()),
            None => " Implicit schema.".to_owned(),
        };
        let ev_param = track.then(|| quote!(, ev: &mut Evaluated));
        if let Some(always) = s.always {
            let body = if always {
                quote!(true)
            } else {
                quote!(out.fail("false", format_args!("no value is allowed here")))
            };
            let out = if always { quote!(_out) } else { quote!(out) };
            return quote! {
                #[doc = #doc]
                fn #name<S: Sink>(_v: &Value<'_>, #out: &mut S) -> bool {
                    #body
                }
            };
        }
        let uses_unevaluated = s.unevaluated_properties.is_some() || s.unevaluated_items.is_some();
        if !track && uses_unevaluated {
            let f_ev = format_ident!("{}_ev", name);
            return quote! {
                #[doc = #doc]
                fn #name<S: Sink>(v: &Value<'_>, out: &mut S) -> bool {
                    #f_ev(v, out, &mut Evaluated::default())
                }
            };
        }
        // The type check returns at once; the others record and go on.
        let type_check = s.types.as_ref().map(|t| type_check(t));
        let mut checks = Vec::new();
        checks.extend(string_checks(id, s));
        checks.extend(number_checks(s));
        checks.extend(self.array_checks(s, track));
        checks.extend(self.object_checks(id, s, track));
        checks.extend(value_checks(id, s));
        checks.extend(self.composition_checks(s, track));
        // Last: what the keywords above and in-place subschemas left.
        checks.extend(self.unevaluated_checks(s));
        let uses_out = !checks.is_empty() || type_check.is_some();
        let (v, out) = if uses_out {
            (quote!(v), quote!(out))
        } else {
            (quote!(_v), quote!(_out))
        };
        let ev_param = if track && checks.is_empty() {
            Some(quote!(, _ev: &mut Evaluated))
        } else {
            ev_param
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
        let body = if self.recursive[id.0] {
            // The nesting guard: entered here, left once the checks (which
            // return early) are done.
            quote! {
                if !out.descend() {
                    return false;
                }
                let ok = (|| -> bool { #body })();
                out.ascend();
                ok
            }
        } else {
            body
        };
        quote! {
            #[doc = #doc]
            fn #name<S: Sink>(#v: &Value<'_>, #out: &mut S #ev_param) -> bool {
                #body
            }
        }
    }

    fn array_checks(&self, s: &Schema, track: bool) -> Option<TokenStream> {
        let mut checks = Vec::new();
        // A lower bound of 0 always holds: no check (rustc would flag the
        // comparison as useless).
        if let Some(n) = s.min_items.filter(|n| *n > 0) {
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
        for (i, id) in s.prefix_items.iter().enumerate() {
            let f = self.schema_fn(*id);
            let i = usize_lit(i);
            let mark = track.then(|| quote!(ev.mark_item(#i);));
            checks.push(quote! {
                if let Some(item) = items.get(#i) {
                    #mark
                    let mark = out.mark();
                    let item_ok = #f(item, out);
                    out.at_index(mark, #i);
                    if !item_ok {
                        ok = false;
                        if out.should_stop() {
                            return false;
                        }
                    }
                }
            });
        }
        if let Some(items) = s.items {
            let f = self.schema_fn(items);
            let skip = usize_lit(s.prefix_items.len());
            let skip_call = (!s.prefix_items.is_empty()).then(|| quote!(.skip(#skip)));
            let mark = track.then(|| quote!(ev.mark_items_from(#skip, items.len());));
            checks.push(quote! {
                #mark
                for (i, item) in items.iter().enumerate() #skip_call {
                    let mark = out.mark();
                    let item_ok = #f(item, out);
                    out.at_index(mark, i);
                    if !item_ok {
                        ok = false;
                        if out.should_stop() {
                            return false;
                        }
                    }
                }
            });
        }
        if let Some(c) = s.contains {
            let f = self.schema_fn(c);
            let min = s.min_contains.unwrap_or(1);
            let mark = track.then(|| quote!(ev.mark_item(i);));
            let too_few = fail(
                if s.min_contains.is_some() {
                    "minContains"
                } else {
                    "contains"
                },
                message(&format!(
                    "must contain at least {min} matching item{}",
                    plural(min)
                )),
            );
            let min_lit = usize_lit(min as usize);
            let mut contains = quote! {
                out.begin_probe();
                let mut matched = 0usize;
                for (i, item) in items.iter().enumerate() {
                    let mark = out.mark();
                    let item_matches = #f(item, out);
                    out.at_index(mark, i);
                    if item_matches {
                        matched += 1;
                        #mark
                    }
                }
                out.end_probe();
            };
            if min > 0 {
                contains.extend(quote!(if matched < #min_lit { #too_few }));
            }
            if let Some(max) = s.max_contains {
                let too_many = fail(
                    "maxContains",
                    message(&format!(
                        "must contain at most {max} matching item{}",
                        plural(max)
                    )),
                );
                let max = usize_lit(max as usize);
                contains.extend(quote!(if matched > #max { #too_many }));
            }
            // `matched` is unused when minContains is 0 and no maximum.
            if min == 0 && s.max_contains.is_none() && !track {
                contains = quote!();
            }
            checks.push(contains);
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

    fn object_checks(&self, id: SchemaId, s: &Schema, track: bool) -> Option<TokenStream> {
        let mut checks = Vec::new();
        if let Some(n) = s.min_properties.filter(|n| *n > 0) {
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
        let read_only = |id: SchemaId| self.schema_of(id).read_only;
        // Required properties that are declared are tracked while walking
        // the members; others need a search.
        let seen_required: Vec<&str> = s
            .required
            .iter()
            .map(String::as_str)
            .filter(|r| s.properties.iter().any(|(p, id)| p == r && !read_only(*id)))
            .collect();
        let additional = s.additional_properties.map(|a| (a, self.schema_of(a)));
        let additional_open = additional.is_none_or(|(_, a)| a.always == Some(true));
        // The member loop is needed to check members, or to know which ones
        // this schema evaluated.
        let evaluates =
            !s.properties.is_empty() || !s.pattern_properties.is_empty() || additional.is_some();
        if !s.properties.is_empty()
            || !s.pattern_properties.is_empty()
            || !additional_open
            || (track && evaluates)
        {
            if !seen_required.is_empty() {
                let n = usize_lit(seen_required.len());
                checks.push(quote!(let mut seen = [false; #n];));
            }
            let seen = |prop: &str| {
                seen_required.iter().position(|r| *r == prop).map(|i| {
                    let i = usize_lit(i);
                    quote!(seen[#i] = true;)
                })
            };
            let read_only_fail = |prop: &str| {
                let msg = message(&format!("property \"{prop}\" is read-only"));
                quote!(out.fail("readOnly", #msg))
            };
            let unknown = quote!(out.fail(
                "additionalProperties",
                format_args!("unknown property \"{}\"", key)
            ));
            let member_loop = if s.pattern_properties.is_empty() && !track {
                // The common case: one `match` on the key decides everything.
                let arms = s.properties.iter().map(|(prop, pid)| {
                    if read_only(*pid) {
                        let f = read_only_fail(prop);
                        return quote!(#prop => #f,);
                    }
                    let f = self.schema_fn(*pid);
                    let seen = seen(prop);
                    quote!(#prop => { #seen #f(value, out) })
                });
                let fallback = match additional {
                    Some((_, a)) if a.always == Some(false) => quote!(_ => #unknown,),
                    Some((aid, a)) if a.always.is_none() => {
                        let f = self.schema_fn(aid);
                        quote!(_ => #f(value, out),)
                    }
                    _ => quote!(_ => true,),
                };
                // Members in declared order (optional ones may be absent)
                // are checked in straight-line code first: one branch per
                // property, each at its own site, where one `match` in a
                // loop is one indirect jump whose target changes with
                // every member (and is mispredicted as often). The loop
                // takes the members from the first one out of order.
                let in_order = IN_ORDER.contains(&s.properties.len()).then(|| {
                    let blocks = s.properties.iter().map(|(prop, pid)| {
                        let (seen, check) = if read_only(*pid) {
                            (None, read_only_fail(prop))
                        } else {
                            let f = self.schema_fn(*pid);
                            (seen(prop), quote!(#f(value, out)))
                        };
                        // `rest` is what is left of the members: a slice
                        // walked by its pointer, with no index to scale.
                        quote! {
                            if let [(key, value), tail @ ..] = rest && key == #prop {
                                rest = tail;
                                #seen
                                if !out.member(key, &mut ok, |out| #check) {
                                    return false;
                                }
                            }
                        }
                    });
                    quote! {
                        let mut rest = &members[..];
                        #(#blocks)*
                    }
                });
                let rest = match in_order {
                    Some(_) => quote!(rest),
                    None => quote!(members),
                };
                quote! {
                    #in_order
                    for (key, value) in #rest {
                        let check = |out: &mut S| match &**key {
                            #(#arms)*
                            #fallback
                        };
                        if !out.member(key, &mut ok, check) {
                            return false;
                        }
                    }
                }
            } else {
                // Patterns or evaluation tracking: a member may be matched by
                // its name and by patterns; `additionalProperties` takes the
                // others.
                let needs_matched =
                    track || additional.is_some_and(|(_, a)| a.always != Some(true));
                let matched_flag = needs_matched.then(|| quote!(matched = true;));
                let arms = s.properties.iter().map(|(prop, pid)| {
                    if read_only(*pid) {
                        let f = read_only_fail(prop);
                        return quote!(#prop => { #matched_flag member_ok = #f; });
                    }
                    let f = self.schema_fn(*pid);
                    let seen = seen(prop);
                    quote!(#prop => { #matched_flag #seen member_ok &= #f(value, out); })
                });
                let name_switch = (!s.properties.is_empty()).then(|| {
                    quote! {
                        match &**key {
                            #(#arms)*
                            _ => {}
                        }
                    }
                });
                let patterns = s
                    .pattern_properties
                    .iter()
                    .enumerate()
                    .map(|(k, (p, pid))| {
                        let re = format_ident!("PATTERN_{}_{}", id.0, k);
                        let f = self.schema_fn(*pid);
                        let apply = quote! {
                            #matched_flag
                            member_ok &= #f(value, out);
                        };
                        match p.engine {
                            RegexEngine::Linear => quote! {
                                if #re.is_match(key) {
                                    #apply
                                }
                            },
                            RegexEngine::Backtracking => {
                                let msg = message(&format!("property name could not be matched against {} within the step limit", p.source));
                                quote! {
                                    match #re.is_match(key) {
                                        Some(true) => { #apply }
                                        Some(false) => {}
                                        None => member_ok = out.fail("patternProperties", #msg),
                                    }
                                }
                            }
                        }
                    });
                let fallback = match additional {
                    None => None,
                    Some((_, a)) if a.always == Some(true) => {
                        track.then(|| quote!(matched = true;))
                    }
                    Some((_, a)) if a.always == Some(false) => Some(quote! {
                        if !matched {
                            member_ok = #unknown;
                        }
                    }),
                    Some((aid, _)) => {
                        let f = self.schema_fn(aid);
                        let flag = track.then(|| quote!(matched = true;));
                        Some(quote! {
                            if !matched {
                                #flag
                                member_ok &= #f(value, out);
                            }
                        })
                    }
                };
                let declare_matched = needs_matched.then(|| quote!(let mut matched = false;));
                let (head, mark) = if track {
                    (
                        quote!((i, (key, value)) in members.iter().enumerate()),
                        Some(quote!(if matched {
                            ev.mark_prop(i);
                        })),
                    )
                } else {
                    (quote!((key, value) in members), None)
                };
                quote! {
                    for #head {
                        let mark = out.mark();
                        let mut member_ok = true;
                        #declare_matched
                        #name_switch
                        #(#patterns)*
                        #fallback
                        #mark
                        out.at_key(mark, key);
                        if !member_ok {
                            ok = false;
                            if out.should_stop() {
                                return false;
                            }
                        }
                    }
                }
            };
            checks.push(member_loop);
            for (i, prop) in seen_required.iter().enumerate() {
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
            if seen_required.contains(&prop.as_str())
                || declared.is_some_and(|(_, id)| read_only(*id))
            {
                continue;
            }
            let f = fail(
                "required",
                message(&format!("missing required property \"{prop}\"")),
            );
            checks.push(quote!(if !members.iter().any(|(k, _)| k == #prop) { #f }));
        }
        if let Some(pn) = s.property_names {
            let f = self.schema_fn(pn);
            checks.push(quote! {
                for (key, _) in members {
                    let name = Value::String(::std::borrow::Cow::Borrowed(&**key));
                    let mark = out.mark();
                    let name_ok = #f(&name, out);
                    out.at_key(mark, key);
                    if !name_ok {
                        ok = false;
                        if out.should_stop() {
                            return false;
                        }
                    }
                }
            });
        }
        for (key, deps) in &s.dependent_required {
            for dep in deps {
                let f = fail(
                    "dependentRequired",
                    message(&format!(
                        "property \"{dep}\" is required when \"{key}\" is present"
                    )),
                );
                checks.push(quote! {
                    if members.iter().any(|(k, _)| k == #key) && !members.iter().any(|(k, _)| k == #dep) { #f }
                });
            }
        }
        for (key, dep) in &s.dependent_schemas {
            let call = self.call(*dep, track);
            checks.push(quote! {
                if members.iter().any(|(k, _)| k == #key) && !#call {
                    ok = false;
                    if out.should_stop() {
                        return false;
                    }
                }
            });
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

    fn composition_checks(&self, s: &Schema, track: bool) -> Vec<TokenStream> {
        let mut checks = Vec::new();
        for id in s.reference.iter().chain(&s.all_of) {
            let call = self.call(*id, track);
            checks.push(quote! {
                if !#call {
                    ok = false;
                    if out.should_stop() {
                        return false;
                    }
                }
            });
        }
        // In a tracking validator every branch runs (its annotations count
        // when it matches); otherwise the first match settles `anyOf`.
        let branch = |id: &SchemaId| self.call(*id, true);
        if let Some(d) = &s.discriminator {
            checks.push(self.discriminated(s, d, track));
        }
        // The discriminator takes over `oneOf`, or `anyOf` when alone.
        let selected = s.discriminator.is_some();
        let any_of_selected = selected && s.one_of.is_empty();
        if !s.any_of.is_empty() && !any_of_selected {
            let f = fail("anyOf", message("must match at least one schema of anyOf"));
            let matched = if track {
                let branches = s.any_of.iter().map(branch);
                quote!([#(#branches),*].contains(&true))
            } else {
                let fs = s.any_of.iter().map(|id| self.schema_fn(*id));
                quote!(#(#fs(v, out))||*)
            };
            checks.push(quote! {
                out.begin_probe();
                let matched = #matched;
                out.end_probe();
                if !matched { #f }
            });
        }
        if !s.one_of.is_empty() && !selected {
            let f = fail(
                "oneOf",
                quote!(format_args!(
                    "must match exactly one schema of oneOf, matched {}",
                    matched
                )),
            );
            let branches: Vec<TokenStream> = if track {
                s.one_of.iter().map(branch).collect()
            } else {
                s.one_of
                    .iter()
                    .map(|id| {
                        let f = self.schema_fn(*id);
                        quote!(#f(v, out))
                    })
                    .collect()
            };
            checks.push(quote! {
                out.begin_probe();
                let matched = [#(#branches),*].iter().filter(|m| **m).count();
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
        if let Some(c) = &s.conditional {
            let condition = if track {
                branch(&c.condition)
            } else {
                let f = self.schema_fn(c.condition);
                quote!(#f(v, out))
            };
            let then = c.then.map(|t| {
                let call = self.call(t, track);
                quote! {
                    if !#call {
                        ok = false;
                        if out.should_stop() {
                            return false;
                        }
                    }
                }
            });
            let otherwise = c.otherwise.map(|t| {
                let call = self.call(t, track);
                quote! {
                    if !#call {
                        ok = false;
                        if out.should_stop() {
                            return false;
                        }
                    }
                }
            });
            checks.push(quote! {
                out.begin_probe();
                let condition = #condition;
                out.end_probe();
                if condition { #then } else { #otherwise }
            });
        }
        checks
    }

    /// `oneOf`/`anyOf` with a discriminator: the property's value selects
    /// the one branch whose errors are reported; a missing, non-string or
    /// unknown value is its own error. Values that are not objects fall
    /// back to the plain `oneOf`/`anyOf` rule.
    fn discriminated(&self, s: &Schema, d: &Discriminator, track: bool) -> TokenStream {
        let property = &d.property;
        let arms = d.mapping.iter().map(|(value, id)| {
            let call = self.call(*id, track);
            quote!(#value => #call,)
        });
        let values: Vec<&str> = d.mapping.iter().map(|(v, _)| v.as_str()).collect();
        let unknown = Literal::string(
            &format!(
                "\"{property}\" must be one of: {} (got \"{{}}\")",
                values.join(", ")
            )
            .replace("{{}}", "{}"),
        );
        let missing = message(&format!("missing discriminator property \"{property}\""));
        let not_string = message(&format!(
            "discriminator property \"{property}\" must be a string"
        ));
        let (rule, branches) = if s.one_of.is_empty() {
            ("anyOf", &s.any_of)
        } else {
            ("oneOf", &s.one_of)
        };
        let fs = branches.iter().map(|id| self.schema_fn(*id));
        let fallback = fail(
            rule,
            message(&format!("must match exactly one schema of {rule}")),
        );
        let fallback_count = if rule == "oneOf" {
            quote!(matched != 1)
        } else {
            quote!(matched == 0)
        };
        quote! {
            if let Value::Object(members) = v {
                let branch_ok = match members.iter().find(|(k, _)| k == #property).map(|(_, value)| value) {
                    Some(Value::String(tag)) => match &**tag {
                        #(#arms)*
                        other => out.fail("discriminator", format_args!(#unknown, other)),
                    },
                    Some(_) => out.fail("discriminator", #not_string),
                    None => out.fail("discriminator", #missing),
                };
                if !branch_ok {
                    ok = false;
                    if out.should_stop() {
                        return false;
                    }
                }
            } else {
                out.begin_probe();
                let matched = [#(#fs(v, out)),*].iter().filter(|m| **m).count();
                out.end_probe();
                if #fallback_count { #fallback }
            }
        }
    }

    /// `unevaluatedProperties`/`unevaluatedItems`: run in the tracking
    /// variant, after every other keyword has recorded what it evaluated.
    fn unevaluated_checks(&self, s: &Schema) -> Vec<TokenStream> {
        let mut checks = Vec::new();
        let apply = |id: SchemaId, rule: &str, what: &str| {
            let target = self.schema_of(id);
            match target.always {
                Some(true) => quote!(true),
                Some(false) => {
                    let msg = format!("unevaluated {what} {{}} is not allowed");
                    let lit = Literal::string(&msg);
                    quote!(out.fail(#rule, format_args!(#lit, which)))
                }
                None => {
                    let f = self.schema_fn(id);
                    quote!(#f(value, out))
                }
            }
        };
        if let Some(u) = s.unevaluated_properties {
            let check = apply(u, "unevaluatedProperties", "property");
            checks.push(quote! {
                if let Value::Object(members) = v {
                    for (i, (key, value)) in members.iter().enumerate() {
                        if ev.prop(i) {
                            continue;
                        }
                        let which = format_args!("\"{}\"", key);
                        let _ = (&which, value);
                        let mark = out.mark();
                        let member_ok = #check;
                        out.at_key(mark, key);
                        if !member_ok {
                            ok = false;
                            if out.should_stop() {
                                return false;
                            }
                        }
                        ev.mark_prop(i);
                    }
                }
            });
        }
        if let Some(u) = s.unevaluated_items {
            let check = apply(u, "unevaluatedItems", "item");
            checks.push(quote! {
                if let Value::Array(items) = v {
                    for (i, value) in items.iter().enumerate() {
                        if ev.item(i) {
                            continue;
                        }
                        let which = i;
                        let _ = (&which, value);
                        let mark = out.mark();
                        let item_ok = #check;
                        out.at_index(mark, i);
                        if !item_ok {
                            ok = false;
                            if out.should_stop() {
                                return false;
                            }
                        }
                        ev.mark_item(i);
                    }
                }
            });
        }
        checks
    }
}

/// Which nodes of a directed graph (`edges[i]`: the targets of node `i`)
/// lie on a cycle: the members of its strongly connected components with
/// more than one node, and the nodes with an edge to themselves (Tarjan's
/// algorithm, iterative: contracts nest deeper than a thread's stack
/// would like to recurse).
fn on_cycles(edges: &[Vec<usize>]) -> Vec<bool> {
    const UNSEEN: usize = usize::MAX;
    let n = edges.len();
    let (mut order, mut low) = (vec![UNSEEN; n], vec![0; n]);
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut cyclic = vec![false; n];
    let mut next = 0;
    for root in 0..n {
        if order[root] != UNSEEN {
            continue;
        }
        // Depth-first search: (node, index of its next edge).
        let mut path = vec![(root, 0)];
        order[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(top) = path.last_mut() {
            let v = top.0;
            if let Some(&w) = edges[v].get(top.1) {
                top.1 += 1;
                if order[w] == UNSEEN {
                    order[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    path.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(order[w]);
                }
                continue;
            }
            path.pop();
            if let Some(&(parent, _)) = path.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == order[v] {
                // `v` is the root of a component: everything above it on
                // the stack.
                let at = stack.iter().rposition(|&w| w == v).unwrap_or(0);
                let component = stack.split_off(at);
                let cycle = component.len() > 1 || edges[v].contains(&v);
                for w in component {
                    on_stack[w] = false;
                    cyclic[w] = cycle;
                }
            }
        }
    }
    cyclic
}

/// The subschemas a schema applies to the same instance location: their
/// annotations count for `unevaluated*`.
fn in_place(s: &Schema) -> impl Iterator<Item = SchemaId> + '_ {
    s.reference
        .iter()
        .chain(&s.all_of)
        .chain(&s.any_of)
        .chain(&s.one_of)
        .chain(s.dependent_schemas.iter().map(|(_, d)| d))
        .chain(s.conditional.iter().flat_map(|c| {
            std::iter::once(&c.condition)
                .chain(&c.then)
                .chain(&c.otherwise)
        }))
        .copied()
}

/// The compiled form of a pattern, built once.
fn pattern_static(name: &Ident, p: &Pattern) -> TokenStream {
    let regex = &p.regex;
    if let Some(dfa) = &p.dfa {
        // Byte strings keep the tables on one line each in the generated
        // code (and in its snapshots).
        let classes = proc_macro2::Literal::byte_string(&dfa.classes);
        let table = proc_macro2::Literal::byte_string(&dfa.table_bytes());
        let walk = match dfa.walk {
            DfaWalk::Shifts(_) => quote!(Walk::Shifts),
            DfaWalk::Pairs { width, .. } => quote!(Walk::Pairs { width: #width }),
            DfaWalk::Bytes(_) => quote!(Walk::Bytes),
        };
        let start = dfa.start;
        let (accept_from, stop_from, hit_from) = (dfa.accept_from, dfa.stop_from, dfa.hit_from);
        let doc = format!(" DFA of `{}`.", p.source);
        return quote! {
            #[doc = #doc]
            static #name: Dfa<'static> = Dfa { classes: #classes, walk: #walk, table: #table, start: #start, accept_from: #accept_from, stop_from: #stop_from, hit_from: #hit_from };
        };
    }
    match p.engine {
        RegexEngine::Linear => quote! {
            static #name: LazyLock<Regex> = LazyLock::new(|| Regex::new(#regex).expect("pattern checked at build time"));
        },
        RegexEngine::Backtracking => quote! {
            static #name: LazyLock<BoundedRegex> = LazyLock::new(|| BoundedRegex::new(#regex));
        },
    }
}

fn string_checks(id: SchemaId, s: &Schema) -> Option<TokenStream> {
    let mut checks = Vec::new();
    // JSON Schema counts code points, not bytes; a code point takes one to
    // four bytes, so the byte length settles most cases and the code points
    // are only counted when it cannot (`len` bytes hold `len / 4` to `len`
    // code points).
    if let Some(n) = s.min_length.filter(|n| *n > 0) {
        let f = fail(
            "minLength",
            message(&format!("must be at least {n} character{} long", plural(n))),
        );
        let enough_bytes = u64_lit(n.saturating_mul(4));
        let n = u64_lit(n);
        checks.push(quote! {
            if (s.len() as u64) < #enough_bytes && (s.chars().count() as u64) < #n { #f }
        });
    }
    if let Some(n) = s.max_length {
        let f = fail(
            "maxLength",
            message(&format!("must be at most {n} character{} long", plural(n))),
        );
        let n = u64_lit(n);
        checks.push(quote!(if (s.len() as u64) > #n && (s.chars().count() as u64) > #n { #f }));
    }
    if let Some(p) = &s.pattern {
        let re = format_ident!("PATTERN_{}", id.0);
        let f = fail("pattern", message(&format!("must match {}", p.source)));
        checks.push(match p.engine {
            RegexEngine::Linear => quote!(if !#re.is_match(s) { #f }),
            RegexEngine::Backtracking => {
                let too_costly = fail(
                    "pattern",
                    message(&format!(
                        "could not be matched against {} within the step limit",
                        p.source
                    )),
                );
                quote! {
                    match #re.is_match(s) {
                        Some(true) => {}
                        Some(false) => { #f }
                        None => { #too_costly }
                    }
                }
            }
        });
    }
    // Whether a string can get past `type` (formats that apply to numbers
    // and strings only cost code where strings are possible).
    let strings_possible = s
        .types
        .as_ref()
        .is_none_or(|t| t.contains(&JsonType::String));
    let format = match s.format {
        Some(Format::Int64 | Format::Uint64) if !strings_possible => None,
        Some(Format::Uuid) => Some(("is_uuid", "must be a uuid")),
        Some(Format::Date) => Some(("is_date", "must be a date (YYYY-MM-DD)")),
        Some(Format::DateTime) => Some(("is_date_time", "must be an RFC 3339 date-time")),
        Some(Format::Time) => Some(("is_time", "must be an RFC 3339 time")),
        Some(Format::Duration) => Some(("is_duration", "must be an ISO 8601 duration")),
        Some(Format::Email) => Some(("is_email", "must be an email address")),
        Some(Format::Hostname) => Some(("is_hostname", "must be a host name")),
        Some(Format::Ipv4) => Some(("is_ipv4", "must be an IPv4 address")),
        Some(Format::Ipv6) => Some(("is_ipv6", "must be an IPv6 address")),
        Some(Format::Uri) => Some(("is_uri", "must be an absolute URI")),
        Some(Format::UriReference) => Some(("is_uri_reference", "must be a URI reference")),
        Some(Format::Byte) => Some(("is_byte", "must be base64")),
        Some(Format::GoogleDuration) => Some((
            "is_google_duration",
            "must be a duration in seconds such as 3.5s",
        )),
        // The registry applies `int64` and `uint64` to strings too (for
        // languages without 64-bit numbers): decimal digits, in range.
        Some(Format::Int64) => Some(("is_int64_text", "must be a 64-bit integer in decimal")),
        Some(Format::Uint64) => Some((
            "is_uint64_text",
            "must be an unsigned 64-bit integer in decimal",
        )),
        // The other integer formats apply to numbers only.
        Some(
            Format::Int32
            | Format::Int8
            | Format::Uint8
            | Format::Int16
            | Format::Uint16
            | Format::Uint32,
        )
        | None => None,
    };
    if let Some((func, msg)) = format {
        checks.push(format_check(func, msg));
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

fn value_checks(id: SchemaId, s: &Schema) -> Vec<TokenStream> {
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
        if values.is_empty() {
            let f = fail("enum", message("no value is allowed (empty enum)"));
            checks.push(quote!({ #f }));
        } else if values.iter().all(Value::is_string) {
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
            checks.push(quote!(if !#name.array_contains(v) { #f }));
        }
    }
    if let Some(c) = &s.constant {
        let shown = c.as_str().map_or_else(|| c.to_string(), str::to_owned);
        let f = fail("const", message(&format!("must be {shown}")));
        let name = format_ident!("CONST_{}", id.0);
        checks.push(quote!(if *#name != *v { #f }));
    }
    checks
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

/// Objects whose declared properties are this many are checked in declared
/// order first. With fewer, the `match` on the key is a few compares (a
/// jump table takes four cases); with more, trying each property in turn
/// would cost more than it saves on sparse or unordered payloads.
const IN_ORDER: std::ops::RangeInclusive<usize> = 4..=32;

fn number_checks(s: &Schema) -> Option<TokenStream> {
    let mut checks = Vec::new();
    // `fails` lists the orderings of value against bound that break it.
    let mut bound = |b: &Option<Bound>,
                     rule: &str,
                     op: &str,
                     fails: fn(TokenStream, TokenStream) -> TokenStream,
                     exact: &str| {
        if let Some(b) = b {
            let f = fail(rule, message(&format!("must be {op} {}", b.text)));
            let cond = match b.big_integer {
                // Beyond 2^53, compared as integers.
                Some(i) => {
                    let i = Literal::i128_unsuffixed(i);
                    let test = Ident::new(exact, Span::call_site());
                    quote!(n.cmp_i128(#i).#test())
                }
                None => {
                    let value = f64_lit(b.value);
                    fails(quote!(x), quote!(#value))
                }
            };
            checks.push(quote!(if #cond { #f }));
        }
    };
    bound(&s.minimum, "minimum", "≥", |x, b| quote!(#x < #b), "is_lt");
    bound(
        &s.exclusive_minimum,
        "exclusiveMinimum",
        ">",
        |x, b| quote!(#x <= #b),
        "is_le",
    );
    bound(&s.maximum, "maximum", "≤", |x, b| quote!(#x > #b), "is_gt");
    bound(
        &s.exclusive_maximum,
        "exclusiveMaximum",
        "<",
        |x, b| quote!(#x >= #b),
        "is_ge",
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
        Some(format) => {
            if let Some((min, max)) = format.integer_range() {
                let f = fail(
                    "format",
                    message(&format!("must be an integer from {min} to {max}")),
                );
                checks.push(quote!(if !formats::is_integer_in(*n, #min, #max) { #f }));
            }
        }
        None => {}
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
    .any(|b| b.as_ref().is_some_and(|b| b.big_integer.is_none()));
    let x = bounded.then(|| quote!(let x = n.as_f64();));
    Some(quote! {
        if let Value::Number(n) = v {
            #x
            #(#checks)*
        }
    })
}

#[cfg(test)]
mod tests {
    use super::on_cycles;

    fn cyclic(edges: &[&[usize]]) -> Vec<usize> {
        let edges: Vec<Vec<usize>> = edges.iter().map(|e| e.to_vec()).collect();
        let marks = on_cycles(&edges);
        (0..marks.len()).filter(|&i| marks[i]).collect()
    }

    #[test]
    fn finds_the_nodes_on_cycles_only() {
        // A tree, a diamond: no cycle.
        assert_eq!(cyclic(&[&[1, 2], &[3], &[3], &[]]), Vec::<usize>::new());
        // A node calling itself, and one that merely calls it.
        assert_eq!(cyclic(&[&[1], &[1]]), vec![1]);
        // A three-node loop with a tail in and a tail out.
        assert_eq!(
            cyclic(&[&[1], &[2], &[3, 5], &[1], &[0], &[]]),
            vec![1, 2, 3]
        );
        // Two loops joined by a one-way edge stay two components, both cyclic;
        // the node between them is on neither.
        assert_eq!(cyclic(&[&[1], &[0, 2], &[3], &[4], &[3]]), vec![0, 1, 3, 4]);
    }

    #[test]
    fn deep_chains_do_not_recurse() {
        // A chain of 100,000 nodes closed into one loop: the search is
        // iterative, so this runs in a test thread's stack.
        let n = 100_000;
        let edges: Vec<Vec<usize>> = (0..n).map(|i| vec![(i + 1) % n]).collect();
        assert!(on_cycles(&edges).iter().all(|&c| c));
        let open: Vec<Vec<usize>> = (0..n)
            .map(|i| if i + 1 < n { vec![i + 1] } else { vec![] })
            .collect();
        assert!(on_cycles(&open).iter().all(|&c| !c));
    }
}

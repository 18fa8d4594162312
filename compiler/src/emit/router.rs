//! Emission of the router: a trie of the API's path templates, emitted as
//! nested `match`es on path segments.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;

use super::schema::usize_lit;
use crate::ir::*;

/// The router function of an API: literal segments are tried before
/// templates at each depth, mixed segments (`{name}.{ext}`) before
/// whole-segment parameters; a branch that fails falls through to the next
/// one, so matching backtracks.
pub(super) fn router(path_items: &[PathItem]) -> TokenStream {
    let mut root = TrieNode::default();
    let mut depth = 0;
    for (i, item) in path_items.iter().enumerate() {
        root.insert(&item.segments, i);
        depth = depth.max(item.segments.len());
    }
    let doc = " Maps a path below the base path to an index into `PATH_ITEMS`.";
    if path_items.is_empty() {
        return quote! {
            #[doc = #doc]
            fn route<'p>(_path: &'p str, _caps: &mut Captures<'p>) -> Option<usize> {
                None
            }
        };
    }
    let max = usize_lit(depth);
    let body = root.emit(0);
    quote! {
        #[doc = #doc]
        fn route<'p>(path: &'p str, caps: &mut Captures<'p>) -> Option<usize> {
            let mut buf = [""; #max];
            let mut len = 0;
            for seg in path.strip_prefix('/')?.split('/') {
                if len == #max {
                    return None;
                }
                buf[len] = seg;
                len += 1;
            }
            let segs = &buf[..len];
            #body
            None
        }
    }
}

/// A routing trie over template segments.
#[derive(Default)]
struct TrieNode {
    /// Path item ending here.
    terminal: Option<usize>,
    literals: BTreeMap<String, TrieNode>,
    /// Template segments in the order they are tried.
    templates: Vec<(TemplateSeg, TrieNode)>,
}

#[derive(PartialEq, Eq)]
enum TemplateSeg {
    Param(usize),
    Mixed(Vec<Piece>),
}

impl TemplateSeg {
    /// Mixed segments first (the more literal text, the earlier), then
    /// whole-segment parameters.
    fn precedence(&self) -> (u8, std::cmp::Reverse<usize>) {
        match self {
            TemplateSeg::Mixed(pieces) => {
                let literal: usize = pieces
                    .iter()
                    .map(|p| {
                        if let Piece::Literal(l) = p {
                            l.len()
                        } else {
                            0
                        }
                    })
                    .sum();
                (0, std::cmp::Reverse(literal))
            }
            TemplateSeg::Param(_) => (1, std::cmp::Reverse(0)),
        }
    }
}

impl TrieNode {
    fn insert(&mut self, segments: &[Segment], item: usize) {
        let Some((first, rest)) = segments.split_first() else {
            self.terminal = Some(item);
            return;
        };
        let child = match first {
            Segment::Literal(l) => self.literals.entry(l.clone()).or_default(),
            Segment::Param { capture, .. } => self.template_child(TemplateSeg::Param(*capture)),
            Segment::Mixed(pieces) => {
                self.template_child(TemplateSeg::Mixed(pieces.iter().map(erase_name).collect()))
            }
        };
        child.insert(rest, item);
    }

    fn template_child(&mut self, seg: TemplateSeg) -> &mut TrieNode {
        let i = match self.templates.iter().position(|(s, _)| *s == seg) {
            Some(i) => i,
            None => {
                self.templates.push((seg, TrieNode::default()));
                self.templates.len() - 1
            }
        };
        &mut self.templates[i].1
    }

    fn emit(&self, depth: usize) -> TokenStream {
        let d = usize_lit(depth);
        let get = if depth == 0 {
            quote!(segs.first())
        } else {
            quote!(segs.get(#d))
        };
        let terminal = self.terminal.map(|item| {
            let item = usize_lit(item);
            quote!(if segs.len() == #d { return Some(#item); })
        });
        if self.literals.is_empty() && self.templates.is_empty() {
            return quote!(#terminal);
        }
        let literal_match = (!self.literals.is_empty()).then(|| {
            let arms = self.literals.iter().map(|(lit, child)| {
                let c = child.emit(depth + 1);
                quote!(#lit => { #c })
            });
            quote! {
                match seg {
                    #(#arms)*
                    _ => {}
                }
            }
        });
        let mut ordered: Vec<&(TemplateSeg, TrieNode)> = self.templates.iter().collect();
        ordered.sort_by_key(|(seg, _)| seg.precedence());
        let templates = ordered.into_iter().map(|(seg, child)| {
            let c = child.emit(depth + 1);
            match seg {
                TemplateSeg::Param(i) => {
                    let i = usize_lit(*i);
                    quote! {
                        if !seg.is_empty() {
                            caps.set(#i, seg);
                            #c
                        }
                    }
                }
                TemplateSeg::Mixed(pieces) => {
                    let pieces = pieces.iter().map(|p| match p {
                        Piece::Literal(l) => quote!(Piece::Literal(#l)),
                        Piece::Param { capture, .. } => {
                            let i = usize_lit(*capture);
                            quote!(Piece::Param(#i))
                        }
                    });
                    quote! {
                        if match_segment(seg, &[#(#pieces),*], caps) {
                            #c
                        }
                    }
                }
            }
        });
        quote! {
            #terminal
            if let Some(&seg) = #get {
                #literal_match
                #(#templates)*
            }
        }
    }
}

fn erase_name(p: &Piece) -> Piece {
    match p {
        Piece::Literal(l) => Piece::Literal(l.clone()),
        Piece::Param { capture, .. } => Piece::Param {
            name: String::new(),
            capture: *capture,
        },
    }
}

//! The nesting guard of generated validators (`Violations::MAX_DEPTH`, 512):
//! only the validators of recursive schemas count (an object and its
//! array of children are two levels), a value nested past the guard is
//! invalid with one `maxDepth` violation at the place it went too deep,
//! whatever a `not` makes of the failure, and the stack of a tokio worker
//! thread (2 MiB) holds the deepest validation the guard lets through.

use douane_runtime::json;
use douane_runtime::validate::{Violation, Violations};
use douane_validator_bench::compiled;

/// Tokio's default stack size for its worker threads, where the gateway
/// validates request bodies.
const WORKER_STACK: usize = 2 << 20;

/// A category tree `levels` deep, one child per level:
/// `{"name":"Abc","children":[{"name":"Abc","children":[...]}]}`.
fn tree(levels: usize) -> String {
    let mut text = String::new();
    for _ in 1..levels {
        text.push_str(r#"{"name":"Abc","children":["#);
    }
    text.push_str(r#"{"name":"Abc"}"#);
    for _ in 1..levels {
        text.push_str("]}");
    }
    text
}

/// Validates `text` with the compiled schema `name`, on a thread with a
/// worker's stack: the verdict and the violations.
fn validate(name: &'static str, text: String) -> (bool, Vec<Violation>) {
    std::thread::Builder::new()
        .stack_size(WORKER_STACK)
        .spawn(move || {
            let value = json::parse(text.as_bytes(), 100_000).expect("the tree parses");
            let mut out = Violations::default();
            let valid = (compiled(name).validate)(&value, &mut out);
            (valid, out.into_vec())
        })
        .expect("spawn a validating thread")
        .join()
        .expect("validation does not overflow the stack")
}

/// The pointer to the deepest node of a tree `levels` deep.
fn deepest(levels: usize) -> String {
    "/children/0".repeat(levels - 1)
}

#[test]
fn a_tree_within_the_guard_is_checked_to_the_bottom() {
    // 256 levels: 256 objects and 255 arrays, 511 recursive validators deep.
    let (valid, violations) = validate("petstore_category", tree(256));
    assert!(valid, "{violations:?}");
    // The same tree with its deepest name broken: found, at the bottom.
    let broken = tree(256).replacen(r#"{"name":"Abc"}"#, r#"{"name":"abc"}"#, 1);
    let (valid, violations) = validate("petstore_category", broken);
    assert!(!valid);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].rule, "pattern");
    assert_eq!(violations[0].pointer, format!("{}/name", deepest(256)));
}

#[test]
fn one_level_more_is_rejected_with_max_depth() {
    let (valid, violations) = validate("petstore_category", tree(257));
    assert!(!valid);
    assert_eq!(violations.len(), 1, "{violations:?}");
    let v = &violations[0];
    assert_eq!(v.rule, "maxDepth");
    assert_eq!(v.message, "nested deeper than 512 levels");
    assert_eq!(v.pointer, deepest(257));
}

#[test]
fn past_the_guard_a_not_does_not_make_the_value_valid() {
    // An object that is not a tree: a shallow tree is invalid, another
    // object valid...
    let (valid, violations) = validate("not_tree", tree(3));
    assert!(!valid);
    assert_eq!(violations[0].rule, "not");
    let (valid, _) = validate("not_tree", r#"{"children":[{"name":"x"}]}"#.to_owned());
    assert!(valid);
    // ...and a tree too deep to check is invalid too: the guard's failure
    // under `not` must not read as "not a tree".
    let (valid, violations) = validate("not_tree", tree(300));
    assert!(!valid, "a tree nested past the guard passed `not`");
    assert!(
        violations.iter().any(|v| v.rule == "maxDepth"),
        "{violations:?}"
    );
}

#[test]
fn siblings_do_not_add_up() {
    // The guard counts nesting, not calls: 600 children on one level are
    // 2 levels deep, far from the guard.
    let wide = format!(
        r#"{{"name":"Abc","children":[{}]}}"#,
        vec![r#"{"name":"Abc"}"#; 600].join(",")
    );
    let (valid, violations) = validate("petstore_category", wide);
    // 600 children break `maxItems: 50`, and nothing else.
    assert!(!valid);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].rule, "maxItems");
}

//! What the compiler refuses or warns about, and how it says so: one
//! `check(files, expect)` helper, one table row per rule.

use douane_compiler::diag::Diagnostics;

/// Compiles in-memory files (the first is the root contract) and returns
/// the diagnostics, one per line, or `ok` plus warnings.
fn diagnostics(files: &[(&str, &str)]) -> String {
    let reader = |name: &str| {
        files
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, text)| text.to_string())
            .ok_or_else(|| "no such file".to_owned())
    };
    let roots: Vec<String> = files
        .iter()
        .filter(|(n, _)| !n.contains('/'))
        .map(|(n, _)| n.to_string())
        .collect();
    match douane_compiler::compile(&roots, &reader) {
        Ok(out) => {
            let mut lines = vec!["ok".to_owned()];
            lines.extend(out.warnings.iter().map(ToString::to_string));
            lines.join("\n")
        }
        Err(Diagnostics(d)) => d
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

fn check(spec: &str, expect: &str) {
    let got = diagnostics(&[("api.yaml", spec)]);
    assert_eq!(got.trim(), expect.trim(), "\nspec:\n{spec}");
}

const HEAD30: &str = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n";
const HEAD31: &str = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\n";

fn with_body(head: &str, schema: &str) -> String {
    format!(
        "{head}paths:\n  /x:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: {schema}\n      responses: {{'200': {{description: ok}}}}\n"
    )
}

#[test]
fn versions() {
    // Swagger 2.0 is converted on load (compiler/src/swagger2.rs); its
    // diagnostics keep the author's lines.
    check(
        "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n",
        "ok",
    );
    check(
        "swagger: '2.0'\ninfo: {title: t, version: '1'}\ndefinitions:\n  A: {type: strin}\npaths:\n  /a:\n    post:\n      parameters: [{name: b, in: body, schema: {$ref: '#/definitions/A'}}]\n      responses: {'200': {description: ok}}\n",
        "api.yaml:4: error: unknown type \"strin\" (at #/components/schemas/A/type)",
    );
    check(
        "swagger: '1.2'\ninfo: {title: t, version: '1'}\npaths: {}\n",
        "api.yaml:1: error: Swagger 1.2 is not supported (only Swagger 2.0, OpenAPI 3.0.x and 3.1.x) (at #/swagger)",
    );
    check(
        "openapi: 4.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n",
        "api.yaml:1: error: OpenAPI 4.0.0 is not supported (only 3.0.x, 3.1.x and 3.2.x) (at #/openapi)",
    );
    check(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    query: {responses: {'200': {description: ok}}}\n",
        "api.yaml:5: error: \"query\" is an OpenAPI 3.2 field; this document declares an earlier version (at #/paths/~1a/query)",
    );
    check(
        "info: {title: t}\n",
        "api.yaml:1: error: not an OpenAPI document: no \"openapi\" field (at #)",
    );
    check(&format!("{HEAD30}paths: {{}}\n"), "ok");
}

#[test]
fn unenforceable_schema_keywords_fail_the_build() {
    check(
        &with_body(HEAD31, "{type: array, additionalItems: false}"),
        "api.yaml:9: error: schema keyword \"additionalItems\" cannot be enforced yet (at #/paths/~1x/post/requestBody/content/application~1json/schema/additionalItems)",
    );
    check(
        &with_body(HEAD30, "{type: string, pattern: 'a(b'}"),
        "api.yaml:9: error: pattern \"a(b\" is not a valid regular expression: error: unclosed group (to let it pass unenforced: x-douane-allow-unenforced: [pattern]) (at #/paths/~1x/post/requestBody/content/application~1json/schema/pattern)",
    );
    check(
        &with_body(HEAD30, "{type: [string, 'null']}"),
        "api.yaml:9: error: type must be a string (or, in 3.1, an array of strings) (at #/paths/~1x/post/requestBody/content/application~1json/schema/type)",
    );
}

#[test]
fn warnings_do_not_fail_the_build() {
    check(
        &with_body(HEAD30, "{type: string, format: phone}"),
        "ok\napi.yaml:9: warning: format \"phone\" is in no format registry (OpenAPI, JSON Schema): ignored, as both specifications say of unknown formats (at #/paths/~1x/post/requestBody/content/application~1json/schema/format)",
    );
    // A registered format douane does not assert is a declared degradation.
    check(
        &with_body(HEAD30, "{type: string, format: uri-template}"),
        "ok\napi.yaml:9: warning: format \"uri-template\" is not enforced (at #/paths/~1x/post/requestBody/content/application~1json/schema/format)",
    );
    // Registered formats with nothing to assert, and Google's, are silent.
    for format in [
        "html",
        "commonmark",
        "google-datetime",
        "google-duration",
        "uint64",
        "int8",
    ] {
        check(
            &with_body(HEAD30, &format!("{{type: string, format: {format}}}")),
            "ok",
        );
    }
    // In 3.0, $ref replaces its siblings: say so rather than drop them silently.
    check(
        &format!(
            "{}components:\n  schemas:\n    S: {{type: string}}\n",
            with_body(HEAD30, "{$ref: '#/components/schemas/S', maxLength: 3}")
        ),
        "ok\napi.yaml:9: warning: keywords beside $ref are ignored in OpenAPI 3.0: maxLength (at #/paths/~1x/post/requestBody/content/application~1json/schema)",
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let spec = format!(
        "{HEAD30}paths:\n  /a/{{id}}:\n    get:\n      x-douane-max-body-sise: 10\n      parameters:\n        - {{name: q, in: query, style: matrix, schema: {{type: string}}}}\n      responses: {{'200': {{description: ok}}}}\n"
    );
    check(
        &spec,
        "api.yaml:5: error: path parameter \"id\" is in the template but not declared (at #/paths/~1a~1{id}/get)
api.yaml:6: error: unknown annotation \"x-douane-max-body-sise\" (at #/paths/~1a~1{id}/get/x-douane-max-body-sise)
api.yaml:8: error: style \"matrix\" is not defined for query parameters (allowed: form, spaceDelimited, pipeDelimited, deepObject) (at #/paths/~1a~1{id}/get/parameters/0/style)",
    );
}

/// Serialisations the specification leaves undefined are refused, each
/// with its reason; nothing is guessed.
#[test]
fn undefined_parameter_serialisations_are_refused() {
    let param = |p: &str| {
        format!(
            "{HEAD30}paths:\n  /a:\n    get:\n      parameters:\n        - {p}\n      responses: {{'200': {{description: ok}}}}\n"
        )
    };
    let at = "(at #/paths/~1a/get/parameters/0)";
    for (p, expect) in [
        (
            "{name: q, in: query, style: deepObject, schema: {type: array, items: {type: string}}}",
            format!("api.yaml:7: error: parameter \"q\": style \"deepObject\" with explode does not define how an array is serialised (to let it pass unenforced: x-douane-allow-unenforced: [parameter-serialisation]) {at}"),
        ),
        (
            "{name: q, in: query, style: pipeDelimited, schema: {type: integer}}",
            format!("api.yaml:7: error: parameter \"q\": style \"pipeDelimited\" does not define how a primitive is serialised (to let it pass unenforced: x-douane-allow-unenforced: [parameter-serialisation]) {at}"),
        ),
        (
            "{name: q, in: query, style: spaceDelimited, explode: true, schema: {type: array, items: {type: string}}}",
            format!("api.yaml:7: error: parameter \"q\": style \"spaceDelimited\" with explode does not define how an array is serialised (to let it pass unenforced: x-douane-allow-unenforced: [parameter-serialisation]) {at}"),
        ),
        (
            "{name: q, in: query, schema: {type: object, additionalProperties: {type: integer}}}",
            format!("api.yaml:7: error: parameter \"q\": an exploded form object is read from its declared properties, and it declares none (its presence is not checked either) (to let it pass unenforced: x-douane-allow-unenforced: [parameter-serialisation]) {at}"),
        ),
        (
            "{name: q, in: query, style: deepObject, schema: {type: object, properties: {a: {type: object}}}}",
            "api.yaml:7: error: parameter \"q\": property \"a\" of type [Object] has no defined serialisation (only primitives have) (to let it pass unenforced: x-douane-allow-unenforced: [parameter-serialisation]) (at #/paths/~1a/get/parameters/0/schema)".to_owned(),
        ),
        (
            "{name: q, in: header, content: {application/json: {schema: {}}, text/plain: {schema: {}}}}",
            "api.yaml:7: error: parameter \"q\": content must have exactly one media type (at #/paths/~1a/get/parameters/0/content)".to_owned(),
        ),
        (
            "{name: q, in: cookie, style: simple, schema: {type: string}}",
            "api.yaml:7: error: style \"simple\" is not defined for cookie parameters (allowed: form) (at #/paths/~1a/get/parameters/0/style)".to_owned(),
        ),
    ] {
        check(&param(p), &expect);
    }
    // Allowed (by the document, or by the build), an undefined
    // serialisation is a warning, and the parameter is only looked for.
    let allowed =
        param("{name: q, in: query, required: true, schema: {type: array, items: {type: object}}}")
            .replacen(
                "paths:",
                "x-douane-allow-unenforced: [parameter-serialisation]\npaths:",
                1,
            );
    check(
        &allowed,
        "ok\napi.yaml:8: warning: parameter \"q\": array items of type [Object] have no defined serialisation: not enforced (allowed: parameter-serialisation) (at #/paths/~1a/get/parameters/0/schema)",
    );
    check(
        &param("{name: q, in: query, schema: {type: array, items: {type: string}}}").replacen(
            "paths:",
            "x-douane-allow-unenforced: [everything]\npaths:",
            1,
        ),
        "api.yaml:3: error: x-douane-allow-unenforced: unknown kind \"everything\" of unenforced constraint (known: all, parameter-serialisation, pattern, route-conflict, request-body) (at #/x-douane-allow-unenforced)",
    );
}

/// `nullable` in OpenAPI 3.1 (which dropped it) is read as in 3.0, with a
/// warning; in a 3.0 document it is silent.
#[test]
fn nullable_in_openapi_3_1_is_read_as_in_3_0() {
    check(
        &with_body(HEAD31, "{type: string, nullable: true}"),
        "ok\napi.yaml:9: warning: nullable is not an OpenAPI 3.1 keyword (3.1 writes type: [..., \"null\"]); read as in OpenAPI 3.0 (at #/paths/~1x/post/requestBody/content/application~1json/schema/nullable)",
    );
    check(&with_body(HEAD30, "{type: string, nullable: true}"), "ok");
}

/// A contract whose `/a` requires `requirement` with `schemes` declared.
fn secured(requirement: &str, schemes: &str) -> String {
    format!(
        "{HEAD30}paths:\n  /a:\n    get:\n      security: [{requirement}]\n      responses: {{'200': {{description: ok}}}}\ncomponents:\n  securitySchemes:\n{schemes}"
    )
}

#[test]
fn security_requirements_compile_or_are_refused_with_the_reason() {
    let key = "    key: {type: apiKey, in: header, name: X-Key}\n";
    let oauth = "    oauth: {type: oauth2, flows: {clientCredentials: {tokenUrl: 'https://i/t', scopes: {read: r}}}}\n";
    check(&secured("{key: []}", key), "ok");
    check(&secured("{key: []}, {}", key), "ok");
    check(&secured("{oauth: [read]}", oauth), "ok");
    check(
        &secured("{nokey: []}", key),
        "api.yaml:6: error: security requirement names \"nokey\", which components/securitySchemes does not declare (at #/paths/~1a/get/security/0/nokey)",
    );
    check(
        &secured("{oauth: [write]}", oauth),
        "ok\napi.yaml:6: warning: scope \"write\" is not declared by any flow of oauth2 scheme \"oauth\" (at #/paths/~1a/get/security/0/oauth)",
    );
    check(
        &secured("{digest: []}", "    digest: {type: http, scheme: digest}\n"),
        "api.yaml:6: error: security scheme \"digest\" cannot be enforced: http scheme \"digest\" is not supported (basic and bearer are); the build refuses rather than serve the operation unauthenticated (at #/paths/~1a/get/security/0/digest)",
    );
    check(
        &secured("{k: []}", "    k: {type: apiKey, in: body, name: k}\n"),
        "api.yaml:6: error: security scheme \"k\" cannot be enforced: an apiKey scheme needs `in`: header, query or cookie; the build refuses rather than serve the operation unauthenticated (at #/paths/~1a/get/security/0/k)",
    );
    check(
        &secured("{key: [a b]}", key),
        "api.yaml:6: error: a scope must be a non-empty string without spaces (at #/paths/~1a/get/security/0/key)",
    );
    // Declared but unused: listed, never an error.
    check(
        &format!(
            "{HEAD30}paths: {{}}\ncomponents:\n  securitySchemes:\n    d: {{type: http, scheme: digest}}\n"
        ),
        "ok",
    );
}

#[test]
fn routes_that_match_the_same_requests_conflict() {
    let op = "responses: {'200': {description: ok}}";
    let p = |name: &str| {
        format!(
            "parameters: [{{name: {name}, in: path, required: true, schema: {{type: string}}}}]"
        )
    };
    let spec = format!(
        "{HEAD30}paths:\n  /a/{{x}}:\n    get: {{{op}, {}}}\n  /a/{{y}}:\n    get: {{{op}, {}}}\n    delete: {{{op}, {}}}\n",
        p("x"),
        p("y"),
        p("y")
    );
    check(
        &spec,
        "api.yaml:7: error: GET /a/{x} and GET /a/{y} match the same requests (to let the first whose parameters are valid take a request: x-douane-allow-unenforced: [route-conflict]) (at #/paths/~1a~1{y}/get)",
    );
    // Allowed, it is a warning that says what is not enforced.
    check(
        &spec.replacen(
            "paths:",
            "x-douane-allow-unenforced: [route-conflict]\npaths:",
            1,
        ),
        "ok\napi.yaml:8: warning: GET /a/{x} and GET /a/{y} match the same requests: the first whose parameters are valid takes a request, so the other is not enforced where both accept it (allowed: route-conflict) (at #/paths/~1a~1{y}/get)",
    );
}

#[test]
fn overlapping_base_paths_conflict() {
    let a = format!("{HEAD30}servers: [{{url: 'https://x.example/v1'}}]\npaths: {{}}\n");
    let b = format!("{HEAD31}servers: [{{url: '/v1/admin'}}]\npaths: {{}}\n");
    assert_eq!(
        diagnostics(&[("a.yaml", &a), ("b.yaml", &b)]),
        "b.yaml:3: error: base path \"/v1/admin\" of API b overlaps base path \"/v1\" of API a (at #/servers/0/url)"
    );
}

#[test]
fn external_references_resolve_relative_to_their_file() {
    let root = with_body(HEAD30, "{$ref: 'shared/a.yaml#/A'}");
    let shared_a = "A: {type: object, properties: {b: {$ref: 'b.yaml#/B'}}}\n";
    let shared_b = "B: {type: string, format: iban}\n";
    assert_eq!(
        diagnostics(&[
            ("api.yaml", &root),
            ("shared/a.yaml", shared_a),
            ("shared/b.yaml", shared_b)
        ]),
        "ok\nshared/b.yaml:1: warning: format \"iban\" is in no format registry (OpenAPI, JSON Schema): ignored, as both specifications say of unknown formats (at #/B/format)"
    );
    let broken = with_body(HEAD30, "{$ref: 'shared/missing.yaml#/A'}");
    assert_eq!(
        diagnostics(&[("api.yaml", &broken)]),
        "api.yaml:9: error: cannot read file: no such file (at #/paths/~1x/post/requestBody/content/application~1json/schema/$ref)"
    );
}

#[test]
fn schemas_that_loop_without_descending_are_refused() {
    let spec = format!(
        "{}components:\n  schemas:\n    A: {{allOf: [{{$ref: '#/components/schemas/B'}}]}}\n    B: {{anyOf: [{{$ref: '#/components/schemas/A'}}, {{type: string}}]}}\n",
        with_body(HEAD31, "{$ref: '#/components/schemas/A'}")
    );
    check(
        &spec,
        "api.yaml:13: error: schema applies itself without descending into the instance: validation would never end (at #/components/schemas/A)",
    );
    // Recursion through a property is fine: each step goes one level down.
    let tree = format!(
        "{}components:\n  schemas:\n    T: {{type: object, properties: {{children: {{type: array, items: {{$ref: '#/components/schemas/T'}}}}}}}}\n",
        with_body(HEAD31, "{$ref: '#/components/schemas/T'}")
    );
    check(&tree, "ok");
}

#[test]
fn cors_annotations_are_checked() {
    let spec = format!(
        "{HEAD30}x-douane-cors: {{origins: ['*', 'https://a.example/app'], credentials: true, max-age: 99999, methods: [GET]}}\npaths:\n  /a:\n    get:\n      x-douane-cors: {{origins: ['*']}}\n      responses: {{'200': {{description: ok}}}}\n"
    );
    check(
        &spec,
        "api.yaml:3: error: x-douane-cors: credentials cannot be allowed for any origin (\"*\"); list the origins (at #/x-douane-cors)
api.yaml:3: error: max-age must be a number of seconds up to 86400 (at #/x-douane-cors/max-age)
api.yaml:3: error: unknown x-douane-cors field \"methods\" (at #/x-douane-cors/methods)
api.yaml:3: error: CORS origin \"https://a.example/app\" must be \"*\" or scheme://host[:port], without path (at #/x-douane-cors/origins)
api.yaml:7: error: x-douane-cors applies to a whole API: put it at the document's top level (at #/paths/~1a/get/x-douane-cors)",
    );
}

/// Query (and path, cookie) names are case-sensitive; header names are not.
#[test]
fn only_header_names_ignore_case() {
    let spec = format!(
        "{HEAD30}paths:\n  /a:\n    get:\n      parameters:\n        - {{name: maxResults, in: query, schema: {{type: integer}}}}\n        - {{name: MaxResults, in: query, schema: {{type: integer}}}}\n      responses: {{'200': {{description: ok}}}}\n"
    );
    check(&spec, "ok");
    let spec = format!(
        "{HEAD30}paths:\n  /a:\n    get:\n      parameters:\n        - {{name: X-Id, in: header, schema: {{type: integer}}}}\n        - {{name: x-id, in: header, schema: {{type: integer}}}}\n      responses: {{'200': {{description: ok}}}}\n"
    );
    check(
        &spec,
        "api.yaml:8: error: parameter \"x-id\" in header is declared twice (at #/paths/~1a/get/parameters/1)",
    );
}

/// Operations kept in their own files (`get: {$ref: ...}`) and property
/// maps kept elsewhere (`properties: {$ref: ...}`), as DigitalOcean's
/// contract writes them, are followed; their diagnostics name their file.
#[test]
fn operations_and_property_maps_behind_references() {
    let root = format!("{HEAD30}paths:\n  /x/{{id}}:\n    post:\n      $ref: 'ops/x_post.yaml'\n");
    let op = "parameters:\n  - {name: id, in: path, required: true, schema: {type: integer}}\nrequestBody:\n  content:\n    application/json:\n      schema:\n        properties:\n          $ref: 'models.yaml#/xprops'\n        required: [n]\nresponses: {'200': {description: ok}}\n";
    let models = "xprops:\n  n: {type: integer, format: cents}\n";
    assert_eq!(
        diagnostics(&[
            ("api.yaml", &root),
            ("ops/x_post.yaml", op),
            ("ops/models.yaml", models)
        ]),
        "ok\nops/models.yaml:2: warning: format \"cents\" is in no format registry (OpenAPI, JSON Schema): ignored, as both specifications say of unknown formats (at #/xprops/n/format)"
    );
}

/// The base paths an API gets from its first server's variables.
fn base_paths(servers: &str) -> (String, Vec<String>, String) {
    let spec = format!("{HEAD30}servers:\n{servers}paths: {{}}\n");
    let reader = |_: &str| Ok::<String, String>(spec.clone());
    let apis = douane_compiler::lower(&["api.yaml".to_owned()], &reader).expect("compiles");
    let warnings = diagnostics(&[("api.yaml", &spec)]);
    (
        apis[0].base_path.clone(),
        apis[0].other_base_paths.clone(),
        warnings,
    )
}

#[test]
fn server_variables_in_the_path_give_more_base_paths() {
    let (base, others, _) = base_paths(
        "  - url: 'https://{region}.x.example/{v}/api'\n    variables:\n      region: {default: eu, enum: [eu, us]}\n      v: {default: v1, enum: [v1, v2, v3]}\n",
    );
    assert_eq!(base, "/v1/api");
    assert_eq!(others, ["/v2/api", "/v3/api"]);
    // Only the host varies: one base path.
    let (base, others, _) = base_paths(
        "  - url: 'https://{region}.x.example/api'\n    variables:\n      region: {default: eu, enum: [eu, us]}\n",
    );
    assert_eq!((base.as_str(), others.len()), ("/api", 0));
    // Too many combinations: the default only, with a warning.
    let many = (0..20)
        .map(|i| format!("v{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let (base, others, warnings) = base_paths(&format!(
        "  - url: '/{{a}}/{{b}}'\n    variables:\n      a: {{default: v0, enum: [{many}]}}\n      b: {{default: x, enum: [x, y]}}\n"
    ));
    assert_eq!((base.as_str(), others.len()), ("/v0/x", 0));
    assert!(warnings.contains("more than 16 base paths"), "{warnings}");
}

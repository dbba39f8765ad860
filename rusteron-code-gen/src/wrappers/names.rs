//! Naming rules: C snake_case → Rust CamelCase types, trait and method names.

/// `aeron_publication_t` → `AeronPublication`; `aeron_t` → `Aeron`.
pub fn wrapper_name(c_type: &str) -> String {
    camel(c_type.strip_suffix("_t").unwrap_or(c_type))
}

/// `aeron_error_handler_t` → `error_handler` (the callback's short name). The `on_` of
/// notification callbacks is dropped, as users of rusteron know them:
/// `aeron_on_available_image_t` → `available_image`, `aeron_agent_on_start_func_t` →
/// `agent_start_func`.
pub fn callback_short(c_type: &str) -> String {
    let base = c_type.strip_suffix("_t").unwrap_or(c_type);
    let base = base.strip_prefix("aeron_").unwrap_or(base);
    let base = base.strip_prefix("on_").unwrap_or(base);
    base.replace("_on_", "_")
}

/// snake_case → CamelCase.
pub fn camel(snake: &str) -> String {
    snake
        .split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// The method-name prefix of a wrapper: `aeron_publication_t` → `aeron_publication`.
pub fn type_prefix(c_type: &str) -> String {
    c_type.strip_suffix("_t").unwrap_or(c_type).to_owned()
}

/// Rust keywords and names the generated wrappers already use, which a C-derived method
/// name must not take.
pub fn safe_method_name(name: &str) -> String {
    const RESERVED: &[&str] = &[
        "as",
        "break",
        "const",
        "continue",
        "crate",
        "else",
        "enum",
        "extern",
        "false",
        "fn",
        "for",
        "if",
        "impl",
        "in",
        "let",
        "loop",
        "match",
        "mod",
        "move",
        "mut",
        "pub",
        "ref",
        "return",
        "self",
        "Self",
        "static",
        "struct",
        "super",
        "trait",
        "true",
        "type",
        "unsafe",
        "use",
        "where",
        "while",
        "async",
        "await",
        "dyn",
        "abstract",
        "become",
        "box",
        "do",
        "final",
        "macro",
        "override",
        "priv",
        "typeof",
        "unsized",
        "virtual",
        "yield",
        "try",
        "gen",
        // Members every wrapper has.
        "get_inner",
        "from_raw_borrowed",
        "from_raw_owned",
        "owner",
        "is_resource_closed",
        "checked_ptr",
        "clone",
        "clone_struct",
        "new_zeroed",
        "fmt",
    ];
    if name.is_empty() {
        return "call".into();
    }
    let name = if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("n{name}")
    } else {
        name.to_owned()
    };
    if RESERVED.contains(&name.as_str()) {
        format!("{name}_")
    } else {
        name
    }
}

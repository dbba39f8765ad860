//! Classification: which C types become wrappers, which functions become constructors,
//! destructors, async polls or methods, and how each argument and result crosses over.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{is_length_of, CStruct, Callback, Function, Model, Param, Ty};
use super::names;

/// A C type that gets a wrapper struct.
#[derive(Debug, Clone)]
pub struct WrapperType {
    pub c_name: String,
    pub rust_name: String,
    pub prefix: String,
    /// `None` for opaque handles; the fields for plain structs.
    pub fields: Option<Vec<Param>>,
    pub docs: Vec<syn::Attribute>,
    /// `Some(path)` when another crate generates this wrapper (e.g. `rusteron_client`).
    pub external: Option<String>,
}

/// C types C only ever lends to a callback for the duration of the call (the fragment
/// header lives on the stack of C's poll, an archive descriptor or signal in its poller,
/// with strings pointing into the poller's buffer): their wrappers carry a lifetime, so
/// safe code cannot keep one past the callback (`AeronHeader<'a>`; closures still write
/// `|msg: &[u8], header: AeronHeader|`).
const CALLBACK_SCOPED: &[&str] = &[
    "aeron_header_t",
    "aeron_archive_recording_descriptor_t",
    "aeron_archive_recording_subscription_descriptor_t",
    "aeron_archive_recording_signal_t",
];

impl WrapperType {
    pub fn is_plain_struct(&self) -> bool {
        self.fields.is_some()
    }

    /// True for a type C only lends to a callback for the duration of the call: its
    /// wrapper gets a lifetime.
    pub fn is_scoped(&self) -> bool {
        CALLBACK_SCOPED.contains(&self.c_name.as_str())
    }
}

/// A callback typedef with a `void *clientd` parameter: becomes a trait.
#[derive(Debug, Clone)]
pub struct CallbackType {
    pub c_name: String,
    pub short: String,
    pub clientd_index: usize,
    pub callback: Callback,
    pub external: Option<String>,
}

impl CallbackType {
    pub fn trait_name(&self) -> String {
        format!("Aeron{}Callback", names::camel(&self.short))
    }
    pub fn logger_name(&self) -> String {
        format!("Aeron{}Logger", names::camel(&self.short))
    }
    pub fn method_name(&self) -> String {
        format!("handle_aeron_{}", self.short)
    }
    pub fn trampoline(&self) -> String {
        format!("aeron_{}_callback", self.short)
    }
    pub fn closure_trampoline(&self) -> String {
        format!("aeron_{}_callback_for_once_closure", self.short)
    }
    pub fn handler_call_trampoline(&self) -> String {
        format!("aeron_{}_callback_for_handler_call", self.short)
    }
    pub fn no_handler_fn(&self) -> String {
        format!("no_{}_handler", self.short)
    }
}

/// How one C argument (or pair) is exposed.
#[derive(Debug, Clone)]
pub enum Arg {
    /// `(const uint8_t *, size_t)` → `&[u8]`; `(uint8_t *, size_t)` / `(char *, size_t)` →
    /// `&mut [u8]`.
    Slice { name: String, mutable: bool, c_char: bool },
    /// `const char *` → `&CStr`.
    CStr { name: String },
    /// `(const char *, length)` → `&str` (not NUL-terminated in C).
    StrLen { name: String, len_ty: syn::Type },
    /// `T *` of a wrapper type → `&W`.
    Wrapper { name: String, wrapper: String },
    /// callback + clientd → `Option<&Handler<H>>`.
    Handler { name: String, callback: String },
    /// Passed through by value.
    Value { name: String, ty: syn::Type },
    /// `int64_t *` etc. written by C → part of the result.
    OutPrim { name: String, ty: syn::Type },
    /// `struct *` filled by C → an owned wrapper in the result.
    OutStruct { name: String, wrapper: String },
    /// Anything else: raw, and the method is `unsafe`.
    Raw { name: String, ty: syn::Type },
}

/// How the C result is exposed.
#[derive(Debug, Clone)]
pub enum Ret {
    Void,
    /// `int` status: `Result<i32, AeronCError>` (or the out-parameters).
    Status,
    /// A value passed through.
    Value(syn::Type),
    /// `const char *` → `&str`.
    Str,
    /// `bool`.
    Bool,
    /// `T *` of a wrapper type → `Option<W>` (not owned, keeps `self` alive).
    Wrapper(String),
    /// A raw pointer.
    RawPtr(syn::Type),
}

#[derive(Debug, Clone)]
pub enum Kind {
    /// `f(T **out, args...)`: creates a `T`.
    Constructor {
        target: String,
        method: String,
        also_on: Option<(String, String)>,
    },
    /// `f(T **out, A *async)` ending in `_poll`: completes an async add.
    AsyncPoll { target: String, on: String },
    /// `f(T *)` on a plain struct the caller allocates: `new()` = default + init.
    StructInit { target: String },
    /// A method on `on`, with `self` at parameter `self_index`.
    Method {
        on: String,
        method: String,
        self_index: usize,
    },
    /// A function with no wrapper receiver, placed on `on` by name prefix.
    Static { on: Option<String>, method: String },
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub function: Function,
    pub kind: Kind,
    /// Arguments in C order, excluding the receiver/out-pointer.
    pub args: Vec<(usize, Arg)>,
    pub ret: Ret,
    pub is_unsafe: bool,
    /// Takes a callback that C calls during this call only (poll, foreach...).
    pub synchronous_callbacks: bool,
}

/// Destructor of a wrapper: the function and how to fill its extra arguments.
#[derive(Debug, Clone)]
pub struct Destructor {
    pub function: Function,
}

/// The classified API of one bindings file.
#[derive(Debug, Default)]
pub struct Api {
    pub wrappers: BTreeMap<String, WrapperType>,
    pub callbacks: BTreeMap<String, CallbackType>,
    pub destructors: BTreeMap<String, Destructor>,
    pub plans: Vec<Plan>,
    pub enums: BTreeSet<String>,
    /// Functions left to hand-written code, with the reason.
    pub skipped: Vec<(String, String)>,
}

/// What the generator is told about the crate it generates for.
#[derive(Debug, Clone, Default)]
pub struct Externals {
    /// Wrapper types generated by another crate: C name → its Rust crate path.
    pub wrappers: BTreeMap<String, (String, WrapperType)>,
    pub callbacks: BTreeMap<String, (String, CallbackType)>,
    pub enums: BTreeSet<String>,
}

pub fn wrappers_of(model: &Model, external: Option<&str>) -> BTreeMap<String, WrapperType> {
    let mut out = BTreeMap::new();
    for alias in &model.aliases {
        if !alias.name.starts_with("aeron_") || !alias.name.ends_with("_t") {
            continue;
        }
        let Some(s) = model.struct_of(&alias.name) else {
            continue;
        };
        out.insert(
            alias.name.clone(),
            wrapper(alias.name.clone(), s, alias.docs.clone(), external),
        );
    }
    out
}

fn wrapper(c_name: String, s: &CStruct, mut docs: Vec<syn::Attribute>, external: Option<&str>) -> WrapperType {
    if docs.is_empty() {
        docs = s.docs.clone();
    }
    WrapperType {
        rust_name: names::wrapper_name(&c_name),
        prefix: names::type_prefix(&c_name),
        fields: if s.opaque { None } else { Some(s.fields.clone()) },
        c_name,
        docs,
        external: external.map(str::to_owned),
    }
}

pub fn callbacks_of(model: &Model, external: Option<&str>) -> BTreeMap<String, CallbackType> {
    let mut out = BTreeMap::new();
    for (name, cb) in &model.callbacks {
        if !name.starts_with("aeron_") {
            continue;
        }
        let Some(clientd_index) = cb.params.iter().position(|p| p.ty.is_void_ptr()) else {
            continue;
        };
        out.insert(
            name.clone(),
            CallbackType {
                c_name: name.clone(),
                short: names::callback_short(name),
                clientd_index,
                callback: cb.clone(),
                external: external.map(str::to_owned),
            },
        );
    }
    out
}

struct Ctx<'a> {
    model: &'a Model,
    wrappers: BTreeMap<String, WrapperType>,
    callbacks: BTreeMap<String, CallbackType>,
    enums: BTreeSet<String>,
}

impl Ctx<'_> {
    fn wrapper_of(&self, ty: &Ty) -> Option<&WrapperType> {
        self.wrappers.get(ty.pointee_name()?)
    }
    fn double_wrapper_of(&self, ty: &Ty) -> Option<&WrapperType> {
        self.wrappers.get(ty.double_pointee_name()?)
    }
    fn callback_of(&self, ty: &Ty) -> Option<&CallbackType> {
        match ty {
            Ty::Named(n) => self.callbacks.get(n),
            _ => None,
        }
    }
    fn is_value(&self, ty: &Ty) -> bool {
        match ty {
            Ty::Prim(p) => p != "c_void",
            Ty::Bool => true,
            Ty::Named(n) => self.enums.contains(n) || self.model.callbacks.contains_key(n),
            _ => false,
        }
    }
}

/// Classifies every function of `model`. `skip` lists functions the crate writes by hand.
pub fn classify(model: &Model, externals: &Externals, skip: &BTreeMap<String, String>) -> Api {
    let own_wrappers = wrappers_of(model, None);
    let own_callbacks = callbacks_of(model, None);
    let mut wrappers: BTreeMap<String, WrapperType> = externals
        .wrappers
        .iter()
        .map(|(k, (_, w))| (k.clone(), w.clone()))
        .collect();
    wrappers.extend(own_wrappers.clone());
    let mut callbacks: BTreeMap<String, CallbackType> = externals
        .callbacks
        .iter()
        .map(|(k, (_, c))| (k.clone(), c.clone()))
        .collect();
    callbacks.extend(own_callbacks.clone());
    let mut enums = model.enums.clone();
    enums.extend(externals.enums.iter().cloned());
    let ctx = Ctx {
        model,
        wrappers,
        callbacks,
        enums,
    };

    let mut api = Api {
        wrappers: own_wrappers,
        callbacks: own_callbacks,
        enums: model.enums.clone(),
        ..Api::default()
    };
    // Destructors first: they shape Drop, not methods.
    for f in &model.functions {
        if skip.contains_key(&f.name) {
            continue;
        }
        if let Some(target) = destructor_target(&ctx, f) {
            if api.wrappers.contains_key(&target) && !api.destructors.contains_key(&target) {
                api.destructors.insert(target, Destructor { function: f.clone() });
            }
        }
    }
    let mut used_names: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &model.functions {
        if let Some(reason) = skip.get(&f.name) {
            api.skipped.push((f.name.clone(), reason.clone()));
            continue;
        }
        if api.destructors.values().any(|d| d.function.name == f.name) {
            continue;
        }
        let plan = plan_function(&ctx, f, &api, &mut used_names);
        api.plans.push(plan);
    }
    api
}

fn destructor_target(ctx: &Ctx, f: &Function) -> Option<String> {
    let first = f.params.first()?;
    let w = ctx.wrapper_of(&first.ty)?;
    let is_name = ["_close", "_delete", "_destroy"]
        .iter()
        .any(|s| f.name == format!("{}{}", w.prefix, s));
    if !is_name {
        return None;
    }
    let fillable = f.params[1..]
        .iter()
        .all(|p| p.ty.is_void_ptr() || ctx.callback_of(&p.ty).is_some());
    let ret_ok = matches!(&f.ret, Ty::Void) || f.ret == Ty::Prim("c_int".into());
    (fillable && ret_ok).then(|| w.c_name.clone())
}

fn unique(used: &mut BTreeMap<String, BTreeSet<String>>, on: &str, wanted: String, fallback: &str) -> String {
    let set = used.entry(on.to_owned()).or_default();
    let mut name = names::safe_method_name(&wanted);
    if set.contains(&name) {
        name = names::safe_method_name(fallback);
    }
    while set.contains(&name) {
        name.push('_');
    }
    set.insert(name.clone());
    name
}

fn strip_prefix_name(function: &str, prefix: &str) -> String {
    if let Some(rest) = function.strip_prefix(prefix) {
        if let Some(rest) = rest.strip_prefix('_') {
            return rest.to_owned();
        }
        if rest.is_empty() {
            return String::new();
        }
    }
    function.strip_prefix("aeron_").unwrap_or(function).to_owned()
}

fn plan_function(ctx: &Ctx, f: &Function, api: &Api, used: &mut BTreeMap<String, BTreeSet<String>>) -> Plan {
    let short = f.name.strip_prefix("aeron_").unwrap_or(&f.name).to_owned();
    let first = f.params.first();
    let mut skip_indices = BTreeSet::new();
    let kind = if let Some(target) = first.and_then(|p| ctx.double_wrapper_of(&p.ty)) {
        skip_indices.insert(0);
        let second = f.params.get(1).and_then(|p| ctx.wrapper_of(&p.ty));
        match second {
            Some(on) if f.name.ends_with("_poll") && f.params.len() == 2 && on.c_name.contains("async") => {
                skip_indices.insert(1);
                Kind::AsyncPoll {
                    target: target.c_name.clone(),
                    on: on.c_name.clone(),
                }
            }
            _ if target.external.is_some() => {
                // The created type belongs to another crate (e.g. the archive creating a
                // client publication): the constructor lives on the second argument's type.
                match second.filter(|s| s.external.is_none()) {
                    Some(on) => {
                        let m = unique(used, &on.c_name, strip_prefix_name(&f.name, &on.prefix), &short);
                        let hidden = unique(used, &on.c_name, format!("__create_{m}"), &short);
                        Kind::Constructor {
                            target: target.c_name.clone(),
                            method: hidden,
                            also_on: Some((on.c_name.clone(), m)),
                        }
                    }
                    None => {
                        skip_indices.clear();
                        static_kind(api, used, f, &short)
                    }
                }
            }
            _ => {
                let base = strip_prefix_name(&f.name, &target.prefix);
                let wanted = match base.as_str() {
                    "" | "init" | "create" => "new".to_owned(),
                    other => other.to_owned(),
                };
                let method = unique(used, &target.c_name, wanted, &short);
                let also_on = second
                    .filter(|s| s.c_name != target.c_name && s.external.is_none())
                    .map(|s| {
                        let m = unique(used, &s.c_name, strip_prefix_name(&f.name, &s.prefix), &short);
                        (s.c_name.clone(), m)
                    });
                Kind::Constructor {
                    target: target.c_name.clone(),
                    method,
                    also_on,
                }
            }
        }
    } else if let Some((index, w)) = f
        .params
        .iter()
        .enumerate()
        .find_map(|(i, p)| {
            ctx.wrapper_of(&p.ty)
                .filter(|w| w.external.is_none() || i == 0)
                .map(|w| (i, w))
        })
        .filter(|(i, w)| *i == 0 || f.name.starts_with(&w.prefix))
    {
        skip_indices.insert(index);
        if w.is_plain_struct() && f.params.len() == 1 && f.name == format!("{}_init", w.prefix) {
            Kind::StructInit {
                target: w.c_name.clone(),
            }
        } else if w.external.is_some() {
            // A function of this crate whose receiver is another crate's type (an inherent
            // impl is impossible): a static function on the longest-prefix type instead.
            skip_indices.clear();
            static_kind(api, used, f, &short)
        } else {
            let method = unique(used, &w.c_name, strip_prefix_name(&f.name, &w.prefix), &short);
            Kind::Method {
                on: w.c_name.clone(),
                method,
                self_index: index,
            }
        }
    } else {
        static_kind(api, used, f, &short)
    };

    let returns_status = f.ret == Ty::Prim("c_int".into()) || f.ret == Ty::Void;
    let mut args = Vec::new();
    let mut i = 0;
    let mut is_unsafe = false;
    while i < f.params.len() {
        if skip_indices.contains(&i) {
            i += 1;
            continue;
        }
        let p = &f.params[i];
        let next = f.params.get(i + 1);
        let name = p.name.clone();
        if let (Some(mutable), Some(n)) = (p.ty.is_u8_ptr(), next) {
            if n.ty.is_usize() {
                args.push((
                    i,
                    Arg::Slice {
                        name,
                        mutable,
                        c_char: false,
                    },
                ));
                i += 2;
                continue;
            }
        }
        if let (Ty::Ptr { mutable: true, .. }, true, Some(n)) = (&p.ty, p.ty.is_c_char_ptr(), next) {
            if n.ty.is_usize() {
                args.push((
                    i,
                    Arg::Slice {
                        name,
                        mutable: true,
                        c_char: true,
                    },
                ));
                i += 2;
                continue;
            }
        }
        if let (Ty::Ptr { mutable: false, .. }, true, Some(n)) = (&p.ty, p.ty.is_c_char_ptr(), next) {
            if is_length_of(n) {
                args.push((
                    i,
                    Arg::StrLen {
                        name,
                        len_ty: n.raw.clone(),
                    },
                ));
                i += 2;
                continue;
            }
        }
        if let (Some(cb), Some(n)) = (ctx.callback_of(&p.ty), next) {
            if n.ty.is_void_ptr() {
                args.push((
                    i,
                    Arg::Handler {
                        name,
                        callback: cb.c_name.clone(),
                    },
                ));
                i += 2;
                continue;
            }
        }
        let arg = if p.ty.is_c_char_ptr() && matches!(p.ty, Ty::Ptr { mutable: false, .. }) {
            Arg::CStr { name }
        } else if let Some(w) = ctx.wrapper_of(&p.ty) {
            let out_name = name.ends_with("_out") || ["constants", "values", "buffers"].contains(&name.as_str());
            if w.is_plain_struct() && out_name && f.ret == Ty::Prim("c_int".into()) && i + 1 == f.params.len() {
                Arg::OutStruct {
                    name,
                    wrapper: w.c_name.clone(),
                }
            } else {
                Arg::Wrapper {
                    name,
                    wrapper: w.c_name.clone(),
                }
            }
        } else if ctx.is_value(&p.ty) {
            Arg::Value {
                name,
                ty: p.raw.clone(),
            }
        } else if let Ty::Ptr { mutable: true, inner } = &p.ty {
            let prim_out = match &**inner {
                Ty::Prim(n) => !["c_void", "c_char", "u8"].contains(&n.as_str()),
                Ty::Bool => true,
                Ty::Named(n) => ctx.enums.contains(n),
                _ => false,
            };
            if prim_out && returns_status {
                let syn::Type::Ptr(ptr) = &p.raw else {
                    unreachable!("pointer type")
                };
                Arg::OutPrim {
                    name,
                    ty: (*ptr.elem).clone(),
                }
            } else {
                is_unsafe = true;
                Arg::Raw {
                    name,
                    ty: p.raw.clone(),
                }
            }
        } else {
            is_unsafe = true;
            Arg::Raw {
                name,
                ty: p.raw.clone(),
            }
        };
        args.push((i, arg));
        i += 1;
    }

    let ret = match &f.ret {
        Ty::Void => Ret::Void,
        Ty::Prim(p) if p == "c_int" => Ret::Status,
        Ty::Bool => Ret::Bool,
        t if t.is_c_char_ptr() => Ret::Str,
        t @ Ty::Ptr { .. } => match ctx.wrapper_of(t) {
            Some(w) => Ret::Wrapper(w.c_name.clone()),
            None => Ret::RawPtr(f.raw_ret.clone().expect("pointer return has a type")),
        },
        _ => Ret::Value(f.raw_ret.clone().expect("value return has a type")),
    };
    let has_handler = args.iter().any(|(_, a)| matches!(a, Arg::Handler { .. }));
    let method_name = match &kind {
        Kind::Method { method, .. } | Kind::Static { method, .. } => method.clone(),
        _ => String::new(),
    };
    let registers = method_name.starts_with("set_")
        || method_name.starts_with("add_")
        || method_name.contains("async_add")
        || matches!(kind, Kind::Constructor { .. } | Kind::StructInit { .. });
    Plan {
        function: f.clone(),
        kind,
        args,
        ret,
        is_unsafe,
        synchronous_callbacks: has_handler && !registers,
    }
}

fn static_kind(api: &Api, used: &mut BTreeMap<String, BTreeSet<String>>, f: &Function, short: &str) -> Kind {
    let on = api
        .wrappers
        .values()
        .filter(|w| f.name.starts_with(&w.prefix))
        .max_by_key(|w| w.prefix.len())
        .map(|w| w.c_name.clone());
    match on {
        Some(on) => {
            let prefix = api.wrappers[&on].prefix.clone();
            let method = unique(used, &on, strip_prefix_name(&f.name, &prefix), short);
            Kind::Static { on: Some(on), method }
        }
        None => Kind::Static {
            on: None,
            method: unique(used, "", short.to_owned(), &f.name),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = r#"
pub type aeron_t = aeron_stct;
pub type aeron_thing_t = aeron_thing_stct;
pub type aeron_async_add_thing_t = aeron_reg_stct;
pub type aeron_cb_t = ::std::option::Option<unsafe extern "C" fn(clientd: *mut ::std::os::raw::c_void, v: i32)>;
pub type aeron_no_clientd_t = ::std::option::Option<unsafe extern "C" fn(v: i32)>;
#[repr(C)] pub struct aeron_stct { _unused: [u8; 0] }
#[repr(C)] pub struct aeron_thing_stct { pub a: i32 }
#[repr(C)] pub struct aeron_reg_stct { _unused: [u8; 0] }
unsafe extern "C" {
    pub fn aeron_thing_init(thing: *mut aeron_thing_t) -> ::std::os::raw::c_int;
    pub fn aeron_thing_close(thing: *mut aeron_thing_t, cb: aeron_cb_t, clientd: *mut ::std::os::raw::c_void) -> ::std::os::raw::c_int;
    pub fn aeron_async_add_thing(out: *mut *mut aeron_async_add_thing_t, client: *mut aeron_t) -> ::std::os::raw::c_int;
    pub fn aeron_async_add_thing_poll(thing: *mut *mut aeron_thing_t, pending: *mut aeron_async_add_thing_t) -> ::std::os::raw::c_int;
    pub fn aeron_thing_value(value_p: *mut i64, thing: *mut aeron_thing_t) -> ::std::os::raw::c_int;
    pub fn aeron_thing_write(thing: *mut aeron_thing_t, buffer: *const u8, length: usize) -> i64;
    pub fn aeron_thing_each(thing: *mut aeron_thing_t, cb: aeron_cb_t, clientd: *mut ::std::os::raw::c_void) -> ::std::os::raw::c_int;
    pub fn aeron_thing_set_cb(thing: *mut aeron_thing_t, cb: aeron_cb_t, clientd: *mut ::std::os::raw::c_void) -> ::std::os::raw::c_int;
    pub fn aeron_thing_raw(thing: *mut aeron_thing_t, p: *mut *mut ::std::os::raw::c_void);
    pub fn aeron_version() -> i32;
}
"#;

    fn api() -> Api {
        let model = Model::parse(SRC).unwrap();
        classify(&model, &Externals::default(), &BTreeMap::new())
    }

    fn plan<'a>(api: &'a Api, name: &str) -> &'a Plan {
        api.plans
            .iter()
            .find(|p| p.function.name == name)
            .unwrap_or_else(|| panic!("no plan for {name}"))
    }

    #[test]
    fn struct_aliases_become_wrappers_and_callbacks_need_clientd() {
        let api = api();
        let names: Vec<_> = api.wrappers.values().map(|w| w.rust_name.as_str()).collect();
        assert_eq!(names, ["AeronAsyncAddThing", "Aeron", "AeronThing"]); // by C name
        assert!(api.wrappers["aeron_thing_t"].is_plain_struct());
        assert!(!api.wrappers["aeron_t"].is_plain_struct());
        assert_eq!(api.callbacks.keys().collect::<Vec<_>>(), ["aeron_cb_t"]);
        assert_eq!(api.callbacks["aeron_cb_t"].trait_name(), "AeronCbCallback");
    }

    #[test]
    fn destructor_with_callback_arguments_is_recognised() {
        let api = api();
        assert_eq!(api.destructors["aeron_thing_t"].function.name, "aeron_thing_close");
        assert!(api.plans.iter().all(|p| p.function.name != "aeron_thing_close"));
    }

    #[test]
    fn constructors_async_polls_and_struct_init() {
        let api = api();
        match &plan(&api, "aeron_async_add_thing").kind {
            Kind::Constructor {
                target,
                method,
                also_on,
            } => {
                assert_eq!(target, "aeron_async_add_thing_t");
                assert_eq!(method, "new");
                assert_eq!(
                    also_on.as_ref().unwrap(),
                    &("aeron_t".to_owned(), "async_add_thing".to_owned())
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(&plan(&api, "aeron_async_add_thing_poll").kind,
            Kind::AsyncPoll { target, on } if target == "aeron_thing_t" && on == "aeron_async_add_thing_t"));
        assert!(
            matches!(&plan(&api, "aeron_thing_init").kind, Kind::StructInit { target } if target == "aeron_thing_t")
        );
    }

    #[test]
    fn methods_take_the_first_wrapper_argument_as_self() {
        let api = api();
        let p = plan(&api, "aeron_thing_value");
        assert!(
            matches!(&p.kind, Kind::Method { on, method, self_index: 1 } if on == "aeron_thing_t" && method == "value")
        );
        assert!(matches!(&p.args[..], [(0, Arg::OutPrim { .. })]));
        assert!(matches!(p.ret, Ret::Status));
    }

    #[test]
    fn arguments_are_mapped() {
        let api = api();
        let write = plan(&api, "aeron_thing_write");
        assert!(matches!(
            &write.args[..],
            [(
                1,
                Arg::Slice {
                    mutable: false,
                    c_char: false,
                    ..
                }
            )]
        ));
        assert!(matches!(write.ret, Ret::Value(_)));
        let each = plan(&api, "aeron_thing_each");
        assert!(each.synchronous_callbacks, "a callback called during the call");
        let set = plan(&api, "aeron_thing_set_cb");
        assert!(!set.synchronous_callbacks, "a setter registers its callback");
        let raw = plan(&api, "aeron_thing_raw");
        assert!(raw.is_unsafe && matches!(&raw.args[..], [(1, Arg::Raw { .. })]));
    }

    #[test]
    fn free_functions_go_to_the_longest_prefix_type() {
        let api = api();
        assert!(matches!(&plan(&api, "aeron_version").kind,
            Kind::Static { on: Some(on), method } if on == "aeron_t" && method == "version"));
    }

    #[test]
    fn names_follow_the_seed_conventions() {
        assert_eq!(names::wrapper_name("aeron_t"), "Aeron");
        assert_eq!(
            names::wrapper_name("aeron_exclusive_publication_t"),
            "AeronExclusivePublication"
        );
        assert_eq!(names::callback_short("aeron_on_available_image_t"), "available_image");
        assert_eq!(names::callback_short("aeron_agent_on_start_func_t"), "agent_start_func");
        assert_eq!(names::callback_short("aeron_error_handler_t"), "error_handler");
        assert_eq!(names::safe_method_name("type"), "type_");
    }
}

//! A model of one bindgen output file: structs, type aliases, callback typedefs, enums and
//! extern functions, with their doc comments. Parsed with `syn`; nothing is evaluated.

use std::collections::{BTreeMap, BTreeSet};

use syn::{Attribute, FnArg, ForeignItem, Item, Pat, ReturnType, Type};

/// A C type as the generator needs to see it.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    /// `void` / no return value.
    Void,
    /// A primitive: `i32`, `u64`, `usize`, `f64`, `c_int`, `c_char`, `c_void`, ...
    Prim(String),
    /// `bool`.
    Bool,
    /// A raw pointer.
    Ptr { mutable: bool, inner: Box<Ty> },
    /// A named bindgen item (alias, struct, enum newtype, callback typedef).
    Named(String),
    /// Anything else (arrays, inline fn pointers, ...), kept as written.
    Other(Type),
}

impl Ty {
    pub fn parse(ty: &Type) -> Ty {
        match ty {
            Type::Ptr(p) => Ty::Ptr {
                mutable: p.mutability.is_some(),
                inner: Box::new(Ty::parse(&p.elem)),
            },
            Type::Tuple(t) if t.elems.is_empty() => Ty::Void,
            Type::Path(p) if p.qself.is_none() => {
                let last = p.path.segments.last().expect("path has a segment");
                let name = last.ident.to_string();
                if !last.arguments.is_empty() {
                    return Ty::Other(ty.clone());
                }
                match name.as_str() {
                    "bool" => Ty::Bool,
                    "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "isize" | "f32" | "f64"
                    | "c_int" | "c_uint" | "c_long" | "c_ulong" | "c_char" | "c_uchar" | "c_short" | "c_ushort"
                    | "c_longlong" | "c_ulonglong" | "c_void" | "c_double" | "c_float" => Ty::Prim(name),
                    _ if p.path.segments.len() == 1 => Ty::Named(name),
                    _ => Ty::Other(ty.clone()),
                }
            }
            _ => Ty::Other(ty.clone()),
        }
    }

    /// `*const c_char` / `*mut c_char`.
    pub fn is_c_char_ptr(&self) -> bool {
        matches!(self, Ty::Ptr { inner, .. } if **inner == Ty::Prim("c_char".into()))
    }

    pub fn is_void_ptr(&self) -> bool {
        matches!(self, Ty::Ptr { inner, .. } if **inner == Ty::Prim("c_void".into()))
    }

    pub fn is_u8_ptr(&self) -> Option<bool> {
        match self {
            Ty::Ptr { mutable, inner } if **inner == Ty::Prim("u8".into()) => Some(*mutable),
            _ => None,
        }
    }

    pub fn is_usize(&self) -> bool {
        *self == Ty::Prim("usize".into())
    }

    /// An integer type that can carry a length (`size_t`, `int32_t`, ...).
    pub fn is_integer(&self) -> bool {
        matches!(self, Ty::Prim(p) if ["usize", "i32", "u32", "i64", "u64", "c_int", "c_uint"].contains(&p.as_str()))
    }

    /// The named type behind one pointer level.
    pub fn pointee_name(&self) -> Option<&str> {
        match self {
            Ty::Ptr { inner, .. } => match &**inner {
                Ty::Named(n) => Some(n),
                _ => None,
            },
            _ => None,
        }
    }

    /// The named type behind two pointer levels (`T **`).
    pub fn double_pointee_name(&self) -> Option<&str> {
        match self {
            Ty::Ptr { inner, .. } => inner.pointee_name(),
            _ => None,
        }
    }
}

/// True when `param` is the length of the string parameter just before it
/// (`label` + `label_length`, `uri` + `uri_len`).
pub fn is_length_of(param: &Param) -> bool {
    param.ty.is_integer() && (param.name.ends_with("_length") || param.name.ends_with("_len") || param.name == "length")
}

/// A parameter or field: name and type.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub ty: Ty,
    pub raw: Type,
}

#[derive(Debug, Clone)]
pub struct CStruct {
    pub name: String,
    pub fields: Vec<Param>,
    /// bindgen's `_unused: [u8; 0]`: the C type is opaque.
    pub opaque: bool,
    pub docs: Vec<Attribute>,
}

#[derive(Debug, Clone)]
pub struct Alias {
    pub name: String,
    pub target: Ty,
    pub docs: Vec<Attribute>,
}

#[derive(Debug, Clone)]
pub struct Callback {
    pub name: String,
    pub params: Vec<Param>,
    pub ret: Ty,
    pub raw_ret: Option<Type>,
    pub docs: Vec<Attribute>,
}

#[derive(Debug, Clone)]
pub struct Function {
    pub name: String,
    pub params: Vec<Param>,
    pub ret: Ty,
    pub raw_ret: Option<Type>,
    pub docs: Vec<Attribute>,
}

/// Everything the generator reads from one bindings file.
#[derive(Debug, Default, Clone)]
pub struct Model {
    pub structs: BTreeMap<String, CStruct>,
    pub aliases: Vec<Alias>,
    pub callbacks: BTreeMap<String, Callback>,
    /// Newtype enums (`pub struct aeron_x_enum(pub c_uint)`), and aliases of them.
    pub enums: BTreeSet<String>,
    pub functions: Vec<Function>,
}

fn docs(attrs: &[Attribute]) -> Vec<Attribute> {
    attrs.iter().filter(|a| a.path().is_ident("doc")).cloned().collect()
}

fn params_of(inputs: impl Iterator<Item = (Option<String>, Type)>) -> Vec<Param> {
    inputs
        .enumerate()
        .map(|(i, (name, raw))| Param {
            name: name.unwrap_or_else(|| format!("arg{}", i + 1)),
            ty: Ty::parse(&raw),
            raw,
        })
        .collect()
}

fn ret_of(output: &ReturnType) -> (Ty, Option<Type>) {
    match output {
        ReturnType::Default => (Ty::Void, None),
        ReturnType::Type(_, ty) => (Ty::parse(ty), Some((**ty).clone())),
    }
}

/// `Option<unsafe extern "C" fn(...) -> R>` → its `BareFn`.
fn callback_fn(ty: &Type) -> Option<&syn::TypeBareFn> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(Type::BareFn(f)) => Some(f),
        _ => None,
    }
}

impl Model {
    /// Parses bindgen output.
    pub fn parse(source: &str) -> Result<Model, syn::Error> {
        let file = syn::parse_file(source)?;
        let mut model = Model::default();
        for item in file.items {
            match item {
                Item::Struct(s) => {
                    let name = s.ident.to_string();
                    match &s.fields {
                        syn::Fields::Unnamed(f) if f.unnamed.len() == 1 => {
                            model.enums.insert(name);
                        }
                        syn::Fields::Named(f) => {
                            let fields = params_of(
                                f.named
                                    .iter()
                                    .map(|f| (f.ident.as_ref().map(|i| i.to_string()), f.ty.clone())),
                            );
                            let opaque = fields.len() == 1 && fields[0].name == "_unused";
                            model.structs.insert(
                                name.clone(),
                                CStruct {
                                    name,
                                    fields,
                                    opaque,
                                    docs: docs(&s.attrs),
                                },
                            );
                        }
                        _ => {}
                    }
                }
                Item::Union(u) => {
                    let name = u.ident.to_string();
                    // Unions are wrapped like opaque structs (their fields overlap).
                    model.structs.insert(
                        name.clone(),
                        CStruct {
                            name,
                            fields: Vec::new(),
                            opaque: true,
                            docs: docs(&u.attrs),
                        },
                    );
                }
                Item::Type(t) => {
                    let name = t.ident.to_string();
                    if let Some(f) = callback_fn(&t.ty) {
                        let params = params_of(
                            f.inputs
                                .iter()
                                .map(|a| (a.name.as_ref().map(|(n, _)| n.to_string()), a.ty.clone())),
                        );
                        let (ret, raw_ret) = ret_of(&f.output);
                        model.callbacks.insert(
                            name.clone(),
                            Callback {
                                name,
                                params,
                                ret,
                                raw_ret,
                                docs: docs(&t.attrs),
                            },
                        );
                    } else {
                        model.aliases.push(Alias {
                            name,
                            target: Ty::parse(&t.ty),
                            docs: docs(&t.attrs),
                        });
                    }
                }
                Item::Use(u) => {
                    // bindgen writes enum aliases as `pub use self::x_enum as x_t;`.
                    if let syn::UseTree::Path(p) = &u.tree {
                        if let syn::UseTree::Rename(r) = &*p.tree {
                            model.aliases.push(Alias {
                                name: r.rename.to_string(),
                                target: Ty::Named(r.ident.to_string()),
                                docs: docs(&u.attrs),
                            });
                        }
                    }
                }
                Item::ForeignMod(m) => {
                    for item in m.items {
                        let ForeignItem::Fn(f) = item else { continue };
                        let params = params_of(f.sig.inputs.iter().filter_map(|a| match a {
                            FnArg::Typed(pt) => {
                                let name = match &*pt.pat {
                                    Pat::Ident(i) => Some(i.ident.to_string()),
                                    _ => None,
                                };
                                Some((name, (*pt.ty).clone()))
                            }
                            FnArg::Receiver(_) => None,
                        }));
                        let (ret, raw_ret) = ret_of(&f.sig.output);
                        model.functions.push(Function {
                            name: f.sig.ident.to_string(),
                            params,
                            ret,
                            raw_ret,
                            docs: docs(&f.attrs),
                        });
                    }
                }
                _ => {}
            }
        }
        // Aliases of enum newtypes are enums too.
        let enum_aliases: Vec<String> = model
            .aliases
            .iter()
            .filter(|a| matches!(&a.target, Ty::Named(t) if model.enums.contains(t)))
            .map(|a| a.name.clone())
            .collect();
        model.enums.extend(enum_aliases);
        Ok(model)
    }

    /// The struct an alias (or struct name) resolves to.
    pub fn struct_of(&self, name: &str) -> Option<&CStruct> {
        if let Some(s) = self.structs.get(name) {
            return Some(s);
        }
        let alias = self.aliases.iter().find(|a| a.name == name)?;
        match &alias.target {
            Ty::Named(target) if target != name => self.struct_of(target),
            _ => None,
        }
    }

    pub fn alias(&self, name: &str) -> Option<&Alias> {
        self.aliases.iter().find(|a| a.name == name)
    }
}

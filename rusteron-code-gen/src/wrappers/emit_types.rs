//! Emission of the wrapper structs: the handle, its owner, Drop via the owner, `close()`,
//! and field accessors for plain structs.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::classify::{Api, WrapperType};
use super::emit::Paths;
use super::model::{Param, Ty};
use super::names;

/// `(<'a>, <'a>)` for a callback-scoped wrapper (its impl generics and type arguments),
/// nothing for the others.
pub fn lifetime_params(w: &WrapperType) -> (TokenStream, TokenStream) {
    if w.is_scoped() {
        (quote!(<'a>), quote!(<'a>))
    } else {
        (quote!(), quote!())
    }
}

pub fn wrapper_struct(api: &Api, w: &WrapperType, paths: &Paths, taken: &[String]) -> TokenStream {
    let rt = &paths.runtime;
    let name = format_ident!("{}", w.rust_name);
    let c_ty = format_ident!("{}", w.c_name);
    let docs = &w.docs;
    let c_name = &w.c_name;
    let destructor = api.destructors.get(&w.c_name);
    let cleanup_fn = format_ident!("__cleanup_{}", w.c_name);

    // The C destructor, with extra arguments (completion callbacks, clientd) left empty.
    let cleanup = match (destructor, w.is_plain_struct()) {
        (Some(d), plain) => {
            let f = format_ident!("{}", d.function.name);
            let extra = d.function.params[1..].iter().map(|p| {
                if p.ty.is_void_ptr() {
                    quote!(::std::ptr::null_mut())
                } else {
                    quote!(None)
                }
            });
            let call = quote!(#f(ptr as *mut #c_ty #(, #extra)*));
            let status = if d.function.ret == Ty::Void {
                quote!({ #call; 0 })
            } else {
                quote!(#call)
            };
            let free = if plain {
                // A caller-allocated struct: C releases what it points to, Rust the box.
                quote!(#rt::resource::free_boxed::<#c_ty>(ptr);)
            } else {
                quote!()
            };
            quote! {
                #[doc(hidden)]
                #[allow(non_snake_case)]
                unsafe fn #cleanup_fn(ptr: *mut ::std::ffi::c_void) -> i32 {
                    // SAFETY: called once by ManagedCResource with the pointer it owns.
                    let rc = #status;
                    #free
                    rc
                }
            }
        }
        (None, true) => quote! {
            #[doc(hidden)]
            #[allow(non_snake_case)]
            unsafe fn #cleanup_fn(ptr: *mut ::std::ffi::c_void) -> i32 {
                // SAFETY: the pointer came from Box::into_raw in this wrapper.
                #rt::resource::free_boxed::<#c_ty>(ptr)
            }
        },
        (None, false) => quote!(),
    };
    let cleanup_value = if destructor.is_some() || w.is_plain_struct() {
        quote!(Some(#cleanup_fn as #rt::resource::Cleanup))
    } else {
        quote!(None)
    };
    let close = if destructor.is_some() && !taken.iter().any(|t| t == "close") {
        quote! {
            /// Closes the C resource now (it is otherwise closed when the last clone drops).
            /// Later calls on any clone return [`AeronErrorType::ResourceClosed`](#rt::AeronErrorType::ResourceClosed).
            pub fn close(&self) -> Result<i32, #rt::AeronCError> {
                match &self.owner {
                    Some(owner) => owner.close(),
                    None => Err(#rt::AeronCError::with_message(
                        #rt::AeronErrorType::InvalidArgument,
                        concat!(#c_name, " is owned by C (borrowed), it cannot be closed here"),
                    )),
                }
            }
        }
    } else {
        quote!()
    };
    let plain = if w.is_plain_struct() {
        plain_struct_items(w, paths, taken)
    } else {
        quote!()
    };

    let (generics, args) = lifetime_params(w);
    // A scoped wrapper borrows what C lends to one callback: `'a` ends with the callback.
    let (scope_field, scope_init, scope_doc) = if w.is_scoped() {
        let separator = if docs.is_empty() { quote!() } else { quote!(#[doc = ""]) };
        (
            quote!(_scope: ::std::marker::PhantomData<&'a ()>,),
            quote!(_scope: ::std::marker::PhantomData,),
            quote!(
                #separator
                /// C lends it to a callback for the duration of the call only: the lifetime
                /// keeps it (and its clones) inside the callback.
            ),
        )
    } else {
        (quote!(), quote!(), quote!())
    };

    quote! {
        #(#docs)*
        #scope_doc
        #[derive(Clone)]
        pub struct #name #generics {
            ptr: *mut #c_ty,
            owner: Option<::std::sync::Arc<#rt::ManagedCResource>>,
            #scope_field
        }

        #cleanup

        impl #generics #name #args {
            /// Wraps a pointer that C owns; no destructor runs when the wrapper drops.
            ///
            /// # Safety
            /// `ptr` must be valid for as long as the wrapper (and its clones) is used.
            #[inline]
            pub unsafe fn from_raw_borrowed(ptr: *mut #c_ty) -> Self {
                #name { ptr, owner: None, #scope_init }
            }

            /// Takes ownership of `ptr`: the C destructor runs once, when the last clone
            /// drops or on `close()`, and `parent` stays alive until then.
            ///
            /// # Safety
            /// `ptr` must be a live handle this wrapper may release, created under `parent`.
            pub unsafe fn from_raw_owned(
                ptr: *mut #c_ty,
                parent: Option<::std::sync::Arc<#rt::ManagedCResource>>,
            ) -> Self {
                let owner = #rt::ManagedCResource::new(ptr as *mut ::std::ffi::c_void, #c_name, #cleanup_value, parent);
                #name { ptr, owner: Some(owner), #scope_init }
            }

            /// Wraps a pointer C owns, keeping `parent` alive while the wrapper lives and
            /// reporting closed when `parent` is closed.
            ///
            /// # Safety
            /// `ptr` must stay valid while `parent` is open.
            pub unsafe fn from_raw_in(
                ptr: *mut #c_ty,
                parent: Option<::std::sync::Arc<#rt::ManagedCResource>>,
            ) -> Self {
                match parent {
                    Some(parent) => {
                        let owner = #rt::ManagedCResource::new(ptr as *mut ::std::ffi::c_void, #c_name, None, Some(parent));
                        #name { ptr, owner: Some(owner), #scope_init }
                    }
                    None => #name { ptr, owner: None, #scope_init },
                }
            }

            /// The raw C pointer (for calling `rusteron_sys` directly).
            #[inline(always)]
            pub fn get_inner(&self) -> *mut #c_ty {
                self.ptr
            }

            /// The shared owner of the C handle (`None` when C owns it).
            #[inline]
            pub fn owner(&self) -> Option<&::std::sync::Arc<#rt::ManagedCResource>> {
                self.owner.as_ref()
            }

            /// True once this resource or one of its parents was closed.
            #[inline]
            pub fn is_resource_closed(&self) -> bool {
                match &self.owner {
                    Some(owner) => owner.is_closed(),
                    None => false,
                }
            }

            /// The raw pointer, or [`AeronErrorType::ResourceClosed`](#rt::AeronErrorType::ResourceClosed).
            #[doc(hidden)]
            #[inline(always)]
            pub fn checked_ptr(&self) -> Result<*mut #c_ty, #rt::AeronCError> {
                match &self.owner {
                    Some(owner) if owner.is_closed() => Err(#rt::AeronCError::resource_closed(#c_name)),
                    _ => Ok(self.ptr),
                }
            }

            /// Keeps `dependency` alive as long as this resource (C holds a pointer to it).
            #[doc(hidden)]
            pub fn keep_alive(&self, dependency: #rt::resource::Dependency) {
                match &self.owner {
                    Some(owner) => owner.add_dependency(dependency),
                    // Borrowed from C: nothing here outlives C's use, so leak rather than dangle.
                    None => ::std::mem::forget(dependency),
                }
            }

            #close
            #plain
        }

        impl #generics ::std::fmt::Debug for #name #args {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(stringify!(#name))
                    .field("ptr", &self.ptr)
                    .field("closed", &self.is_resource_closed())
                    .finish()
            }
        }
    }
}

fn plain_struct_items(w: &WrapperType, paths: &Paths, taken: &[String]) -> TokenStream {
    let c_ty = format_ident!("{}", w.c_name);
    let name = format_ident!("{}", w.rust_name);
    let fields = w.fields.as_deref().unwrap_or_default();
    let accessors = fields
        .iter()
        .filter(|f| !f.name.starts_with('_'))
        .map(|f| field_accessors(f, paths, taken));
    quote! {
        /// A zero-initialised copy owned by Rust (freed when the last clone drops).
        pub fn new_zeroed() -> Self {
            let boxed = Box::into_raw(Box::new(<#c_ty as Default>::default()));
            // SAFETY: a fresh box, released by the cleanup of this type.
            unsafe { #name::from_raw_owned(boxed, None) }
        }

        /// A shallow copy of the C struct, owned by Rust (pointers inside are copied as is).
        pub fn clone_struct(&self) -> Self {
            let copy = match self.checked_ptr() {
                // SAFETY: the pointer is open; the struct is plain data (Copy).
                Ok(ptr) => unsafe { *ptr },
                Err(_) => <#c_ty as Default>::default(),
            };
            let boxed = Box::into_raw(Box::new(copy));
            // SAFETY: a fresh box, released by the cleanup of this type.
            unsafe { #name::from_raw_owned(boxed, None) }
        }

        /// A copy of the C struct's value.
        pub fn get_struct(&self) -> #c_ty {
            match self.checked_ptr() {
                // SAFETY: the pointer is open; the struct is plain data (Copy).
                Ok(ptr) => unsafe { *ptr },
                Err(_) => <#c_ty as Default>::default(),
            }
        }

        #(#accessors)*
    }
}

fn field_accessors(f: &Param, paths: &Paths, taken: &[String]) -> TokenStream {
    let rt = &paths.runtime;
    let field = format_ident!("{}", f.name);
    let raw = &f.raw;
    let getter_name = if taken.contains(&f.name) {
        format!("get_{}", f.name)
    } else {
        f.name.clone()
    };
    let getter = format_ident!("{}", names::safe_method_name(&getter_name));
    let setter = format_ident!("set_{}", f.name);
    let getter_tokens = if f.ty.is_c_char_ptr() {
        quote! {
            /// The field as a string (empty when NULL).
            #[inline]
            pub fn #getter(&self) -> &str {
                match self.checked_ptr() {
                    // SAFETY: the struct is open; C strings in Aeron structs are NUL-terminated.
                    Ok(ptr) => unsafe { #rt::strings::c_str_to_str((*ptr).#field) },
                    Err(_) => "",
                }
            }
        }
    } else {
        quote! {
            #[inline]
            pub fn #getter(&self) -> #raw {
                match self.checked_ptr() {
                    // SAFETY: the struct is open and the field is plain data.
                    Ok(ptr) => unsafe { (*ptr).#field },
                    // SAFETY: C plain data: all-zero is a valid value (0, NULL, false).
                    Err(_) => unsafe { ::std::mem::zeroed() },
                }
            }
        }
    };
    let settable =
        matches!(f.ty, Ty::Prim(_) | Ty::Bool | Ty::Named(_)) && !taken.iter().any(|t| *t == format!("set_{}", f.name));
    let setter_tokens = if settable {
        quote! {
            #[inline]
            pub fn #setter(&self, value: #raw) {
                if let Ok(ptr) = self.checked_ptr() {
                    // SAFETY: the struct is open; writing a plain field.
                    unsafe { (*ptr).#field = value };
                }
            }
        }
    } else {
        quote!()
    };
    quote!(#getter_tokens #setter_tokens)
}

//! Emission of callback glue: per C callback typedef a trait, a logging default, a blanket
//! impl for closures, `extern "C"` trampolines that never unwind, and a typed "no handler".

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::classify::{CallbackType, WrapperType};
use super::emit::Paths;
use super::model::{is_length_of, Ty};
use std::collections::BTreeMap;

/// How one callback argument reaches Rust.
pub enum CbArg {
    /// `(const uint8_t *, size_t)` → `&[u8]`.
    Bytes { ptr: usize, len: usize },
    /// `const char *` → `&str`.
    Str(usize),
    /// `(const char *, length)` → `&str` cut at the length.
    StrLen { ptr: usize, len: usize },
    /// A wrapper pointer → the wrapper, borrowed.
    Wrapper(usize, String),
    /// As C gives it.
    Raw(usize),
}

pub fn callback_args(cb: &CallbackType, wrappers: &BTreeMap<String, WrapperType>) -> Vec<CbArg> {
    let params = &cb.callback.params;
    let mut out = Vec::new();
    let mut i = 0;
    while i < params.len() {
        if i == cb.clientd_index {
            i += 1;
            continue;
        }
        let p = &params[i];
        if p.ty.is_u8_ptr() == Some(false) && params.get(i + 1).is_some_and(|n| n.ty.is_usize()) {
            out.push(CbArg::Bytes { ptr: i, len: i + 1 });
            i += 2;
            continue;
        }
        if p.ty.is_c_char_ptr() && params.get(i + 1).is_some_and(is_length_of) {
            out.push(CbArg::StrLen { ptr: i, len: i + 1 });
            i += 2;
            continue;
        }
        if p.ty.is_c_char_ptr() && matches!(p.ty, Ty::Ptr { mutable: false, .. }) {
            out.push(CbArg::Str(i));
        } else if let Some(w) = p.ty.pointee_name().and_then(|n| wrappers.get(n)) {
            out.push(CbArg::Wrapper(i, w.c_name.clone()));
        } else {
            out.push(CbArg::Raw(i));
        }
        i += 1;
    }
    out
}

/// The Rust type of a mapped callback argument.
pub fn arg_type(
    cb: &CallbackType,
    arg: &CbArg,
    paths: &Paths,
    wrappers: &BTreeMap<String, WrapperType>,
) -> TokenStream {
    match arg {
        CbArg::Bytes { .. } => quote!(&[u8]),
        CbArg::Str(_) | CbArg::StrLen { .. } => quote!(&str),
        CbArg::Wrapper(_, c) => paths.wrapper_path(&wrappers[c]),
        CbArg::Raw(i) => {
            let ty = &cb.callback.params[*i].raw;
            quote!(#ty)
        }
    }
}

fn arg_name(cb: &CallbackType, arg: &CbArg) -> proc_macro2::Ident {
    let i = match arg {
        CbArg::Bytes { ptr, .. } | CbArg::StrLen { ptr, .. } => *ptr,
        CbArg::Str(i) | CbArg::Wrapper(i, _) | CbArg::Raw(i) => *i,
    };
    let name = &cb.callback.params[i].name;
    if name == "buffer" || name == "arg" || name.starts_with("arg") {
        format_ident!("{}", name)
    } else {
        format_ident!("{}", super::names::safe_method_name(name))
    }
}

/// Converts the C arguments (named as in C) to the mapped Rust values.
fn arg_conversion(
    cb: &CallbackType,
    arg: &CbArg,
    paths: &Paths,
    wrappers: &BTreeMap<String, WrapperType>,
) -> TokenStream {
    let rt = &paths.runtime;
    let c = |i: usize| format_ident!("{}", super::names::safe_method_name(&cb.callback.params[i].name));
    match arg {
        CbArg::Bytes { ptr, len } => {
            let (p, l) = (c(*ptr), c(*len));
            quote!(if #p.is_null() { &[][..] } else { ::std::slice::from_raw_parts(#p, #l) })
        }
        CbArg::Str(i) => {
            let p = c(*i);
            quote!(#rt::strings::c_str_to_str(#p))
        }
        CbArg::StrLen { ptr, len } => {
            let (p, l) = (c(*ptr), c(*len));
            quote!(#rt::strings::bytes_to_str(#p as *const u8, #l as usize))
        }
        CbArg::Wrapper(i, w) => {
            let p = c(*i);
            let ty = paths.wrapper_expr(&wrappers[w]);
            quote!(#ty::from_raw_borrowed(#p as *mut _))
        }
        CbArg::Raw(i) => {
            let p = c(*i);
            quote!(#p)
        }
    }
}

pub fn callback_items(cb: &CallbackType, paths: &Paths, wrappers: &BTreeMap<String, WrapperType>) -> TokenStream {
    let rt = &paths.runtime;
    let docs = &cb.callback.docs;
    let trait_name = format_ident!("{}", cb.trait_name());
    let logger = format_ident!("{}", cb.logger_name());
    let method = format_ident!("{}", cb.method_name());
    let trampoline = format_ident!("{}", cb.trampoline());
    let closure_trampoline = format_ident!("{}", cb.closure_trampoline());
    let handler_call_trampoline = format_ident!("{}", cb.handler_call_trampoline());
    let args = callback_args(cb, wrappers);
    let names: Vec<_> = args.iter().map(|a| arg_name(cb, a)).collect();
    let types: Vec<_> = args.iter().map(|a| arg_type(cb, a, paths, wrappers)).collect();
    let conversions: Vec<_> = args.iter().map(|a| arg_conversion(cb, a, paths, wrappers)).collect();
    let (ret, fallback) = match &cb.callback.raw_ret {
        None => (quote!(), quote!(())),
        // After a panic a controlled handler must stop the poll, not consume the rest
        // (0 would be CONTINUE).
        Some(t) if quote!(#t).to_string() == "aeron_controlled_fragment_handler_action_t" => (
            quote!(-> #t),
            quote!(aeron_controlled_fragment_handler_action_en::AERON_ACTION_ABORT),
        ),
        Some(t) => (
            quote!(-> #t),
            quote!(
                // SAFETY: C plain data: all-zero is a valid neutral value.
                unsafe { ::std::mem::zeroed() }
            ),
        ),
    };
    let c_params = cb.callback.params.iter().map(|p| {
        let n = format_ident!("{}", super::names::safe_method_name(&p.name));
        let t = &p.raw;
        quote!(#n: #t)
    });
    let c_params2 = c_params.clone();
    let c_params3 = c_params.clone();
    let clientd = format_ident!(
        "{}",
        super::names::safe_method_name(&cb.callback.params[cb.clientd_index].name)
    );
    let log_fmt = format!(
        "{}({})",
        cb.method_name(),
        names
            .iter()
            .map(|n| format!("{n}={{:?}}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let debuggable: Vec<_> = args
        .iter()
        .zip(&names)
        .map(|(a, n)| match a {
            CbArg::Bytes { .. } => quote!(#n.len()),
            _ => quote!(&#n),
        })
        .collect();
    let logger_body = if cb.callback.raw_ret.is_none() {
        quote!(log::info!(#log_fmt #(, #debuggable)*);)
    } else {
        quote!(log::info!(#log_fmt #(, #debuggable)*); #fallback)
    };
    let logger_doc = format!("A [`{}`] that logs each call through the `log` crate.", cb.trait_name());
    quote! {
        #(#docs)*
        ///
        /// (note: copy any arguments you keep after the call, even those that look `'static`)
        pub trait #trait_name {
            fn #method(&mut self #(, #names: #types)*) #ret;
        }

        #[doc = #logger_doc]
        #[derive(Debug, Default, Clone, Copy)]
        pub struct #logger;

        impl #trait_name for #logger {
            #[allow(unused_variables)]
            fn #method(&mut self #(, #names: #types)*) #ret {
                #logger_body
            }
        }

        impl<F: FnMut(#(#types),*) #ret> #trait_name for F {
            #[inline(always)]
            fn #method(&mut self #(, #names: #types)*) #ret {
                self(#(#names),*)
            }
        }

        /// Trampoline for a [`Handler`](#rt::Handler) of this callback: catches panics.
        #[doc(hidden)]
        #[allow(unused_variables, clippy::missing_safety_doc)]
        pub unsafe extern "C" fn #trampoline<H: #trait_name>(#(#c_params),*) #ret {
            #rt::panic::catch_in_callback(#fallback, || {
                // SAFETY: clientd is the Handler<H> registered with this trampoline, alive
                // while C may call it; C calls it from one thread at a time.
                let handler = &mut *(#clientd as *mut H);
                handler.#method(#(#conversions),*)
            })
        }

        /// Trampoline for a closure borrowed for the duration of one call.
        #[doc(hidden)]
        #[allow(unused_variables, clippy::missing_safety_doc)]
        pub unsafe extern "C" fn #closure_trampoline<F: FnMut(#(#types),*) #ret>(#(#c_params2),*) #ret {
            // SAFETY: clientd is the ClosureCall on the caller's stack for this C call.
            let call = &mut *(#clientd as *mut #rt::panic::ClosureCall<'_, F>);
            call.invoke(#fallback, |f| f(#(#conversions),*))
        }

        /// Trampoline for a `Handler` lent for the duration of one call (the polls):
        /// catches panics into the caller's stack, not a thread-local.
        #[doc(hidden)]
        #[allow(unused_variables, clippy::missing_safety_doc)]
        pub unsafe extern "C" fn #handler_call_trampoline<H: #trait_name>(#(#c_params3),*) #ret {
            // SAFETY: clientd is the HandlerCall on the caller's stack for this C call, built
            // from a live handler that only this thread uses while C runs the call.
            let call = &mut *(#clientd as *mut #rt::panic::HandlerCall<H>);
            call.invoke(#fallback, |handler| handler.#method(#(#conversions),*))
        }

    }
}

/// `fn no_<callback>_handler() -> Option<&'static Handler<Logger>>`: a correctly typed
/// `None` for a handler parameter. `is_trait_item` emits it without `pub` for a trait.
pub fn no_handler_fn(cb: &CallbackType, paths: &Paths, is_trait_item: bool) -> TokenStream {
    let rt = &paths.runtime;
    let no_handler = format_ident!("{}", cb.no_handler_fn());
    let logger = format_ident!("{}", cb.logger_name());
    let doc = format!(
        "A typed \"no handler\" for a parameter taking `Option<&Handler<impl {}>>`.",
        cb.trait_name()
    );
    let vis = if is_trait_item { quote!() } else { quote!(pub) };
    quote! {
        #[doc = #doc]
        #[inline]
        #vis fn #no_handler() -> Option<&'static #rt::Handler<#logger>> {
            None
        }
    }
}

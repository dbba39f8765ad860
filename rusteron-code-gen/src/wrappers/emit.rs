//! Emission of methods (constructors, async polls, methods, static functions) and of the
//! whole generated file.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::classify::{Api, Arg, CallbackType, Externals, Kind, Plan, Ret, WrapperType};
use super::{emit_callbacks, emit_types};

/// Paths the generated code refers to.
pub struct Paths {
    /// The crate holding the runtime (`crate` for rusteron-client, `rusteron_client`).
    pub runtime: TokenStream,
    pub wrappers: BTreeMap<String, WrapperType>,
    pub callbacks: BTreeMap<String, CallbackType>,
}

fn path_tokens(path: &str) -> TokenStream {
    syn::parse_str::<syn::Path>(path)
        .map(|p| quote!(#p))
        .unwrap_or_else(|_| quote!(crate))
}

impl Paths {
    /// The wrapper's type in type position (`AeronHeader<'_>` for a scoped type).
    pub fn wrapper_path(&self, w: &WrapperType) -> TokenStream {
        let path = self.wrapper_expr(w);
        if w.is_scoped() {
            quote!(#path<'_>)
        } else {
            path
        }
    }

    /// The wrapper's path in expression position (`AeronHeader::from_raw_borrowed`).
    pub fn wrapper_expr(&self, w: &WrapperType) -> TokenStream {
        let name = format_ident!("{}", w.rust_name);
        match &w.external {
            Some(p) => {
                let p = path_tokens(p);
                quote!(#p::#name)
            }
            None => quote!(#name),
        }
    }

    fn callback_item(&self, cb: &str, item: String) -> TokenStream {
        let cb = &self.callbacks[cb];
        let name = format_ident!("{}", item);
        match &cb.external {
            Some(p) => {
                let p = path_tokens(p);
                quote!(#p::#name)
            }
            None => quote!(#name),
        }
    }
}

/// What one method needs: its parameter list, the statements before and after the C call,
/// and the C argument expressions in order.
#[derive(Default)]
struct Pieces {
    generics: Vec<TokenStream>,
    params: Vec<TokenStream>,
    param_names: Vec<proc_macro2::Ident>,
    before: Vec<TokenStream>,
    c_args: Vec<TokenStream>,
    after_success: Vec<TokenStream>,
    outs: Vec<(TokenStream, TokenStream)>,
    uses_handler_sync: bool,
    /// Statements right after the C call (resuming a lent handler's panic).
    after_call: Vec<TokenStream>,
}

fn ident(name: &str) -> proc_macro2::Ident {
    format_ident!("{}", super::names::safe_method_name(name))
}

/// True for the polls of subscriptions and images (`aeron_subscription_poll`,
/// `aeron_image_controlled_poll`, `..._block_poll` ...): C calls nothing but their handler
/// during them, on the calling thread, so a `Handler` is lent through a `HandlerCall` on the
/// caller's stack instead of `call_and_resume`'s thread-local. Other synchronous methods keep
/// `call_and_resume`: C may run registered callbacks during them (an archive's persistent
/// subscription runs its listener inside its poll), whose panics need the thread-local to
/// reach the caller.
fn lends_handlers(plan: &Plan) -> bool {
    let f = &plan.function.name;
    plan.synchronous_callbacks
        && (f.starts_with("aeron_subscription_") || f.starts_with("aeron_image_"))
        && f.ends_with("_poll")
}

/// Builds the pieces for `plan`'s arguments. `closure_for` turns the one handler argument
/// into a stack closure (`_once` methods).
fn pieces(plan: &Plan, paths: &Paths, closed_ret: &TokenStream, register_on: &TokenStream, closure: bool) -> Pieces {
    let rt = &paths.runtime;
    let mut p = Pieces::default();
    let registering = !plan.synchronous_callbacks;
    let set_method = matches!(&plan.kind, Kind::Method { method, .. } if method.starts_with("set_"));
    for (n, (_, arg)) in plan.args.iter().enumerate() {
        match arg {
            Arg::Slice { name, mutable, c_char } => {
                let id = ident(name);
                p.param_names.push(id.clone());
                let (ty, ptr) = match (mutable, c_char) {
                    (false, _) => (quote!(&[u8]), quote!(#id.as_ptr())),
                    (true, false) => (quote!(&mut [u8]), quote!(#id.as_mut_ptr())),
                    (true, true) => (
                        quote!(&mut [u8]),
                        quote!(#id.as_mut_ptr() as *mut ::std::os::raw::c_char),
                    ),
                };
                p.params.push(quote!(#id: #ty));
                p.c_args.push(ptr);
                p.c_args.push(quote!(#id.len()));
            }
            Arg::StrLen { name, len_ty } => {
                let id = ident(name);
                p.param_names.push(id.clone());
                p.params.push(quote!(#id: &str));
                p.c_args.push(quote!(#id.as_ptr() as *const ::std::os::raw::c_char));
                p.c_args.push(quote!(#id.len() as #len_ty));
            }
            Arg::CStr { name } => {
                let id = ident(name);
                p.param_names.push(id.clone());
                p.params.push(quote!(#id: &::std::ffi::CStr));
                p.c_args.push(quote!(#id.as_ptr()));
            }
            Arg::Wrapper { name, wrapper } => {
                let id = ident(name);
                let ty = paths.wrapper_path(&paths.wrappers[wrapper]);
                let ptr = format_ident!("{}_ptr", id.to_string().trim_end_matches('_'));
                p.param_names.push(id.clone());
                p.params.push(quote!(#id: &#ty));
                p.before
                    .push(bail_let(&quote!(#ptr), &quote!(#id.checked_ptr()), closed_ret));
                p.c_args.push(quote!(#ptr));
                if set_method || matches!(plan.kind, Kind::Constructor { .. }) {
                    // `set_x(&other)` and constructors: C keeps the pointer, so the
                    // receiver (or the created resource) keeps `other` alive.
                    p.after_success.push(quote! {
                        if let Some(dep) = #id.owner() {
                            #register_on(Box::new(::std::sync::Arc::clone(dep)));
                        }
                    });
                }
            }
            Arg::Handler { name, callback } => {
                let id = ident(name);
                let cb = &paths.callbacks[callback];
                let tr = paths.callback_item(callback, cb.trait_name());
                let c_ty = &cb_raw_type(plan, name);
                let f = format_ident!("{}_fn", id.to_string().trim_end_matches('_'));
                let d = format_ident!("{}_clientd", id.to_string().trim_end_matches('_'));
                if closure {
                    let types = closure_types(cb, paths);
                    let ret = match &cb.callback.raw_ret {
                        Some(t) => quote!(-> #t),
                        None => quote!(),
                    };
                    let tramp = paths.callback_item(callback, cb.closure_trampoline());
                    p.generics.push(quote!(F: FnMut(#(#types),*) #ret));
                    p.param_names.push(id.clone());
                    p.params.push(quote!(mut #id: F));
                    p.before.push(quote! {
                        let mut __call = #rt::panic::ClosureCall::new(&mut #id);
                        let #f: #c_ty = Some(#tramp::<F>);
                        let #d = &mut __call as *mut #rt::panic::ClosureCall<'_, F> as *mut ::std::ffi::c_void;
                    });
                    p.c_args.push(quote!(#f));
                    p.c_args.push(quote!(#d));
                    continue;
                }
                let g = format_ident!("H{}", n);
                let tramp = paths.callback_item(callback, cb.trampoline());
                p.param_names.push(id.clone());
                p.params.push(quote!(#id: Option<&#rt::Handler<#g>>));
                if registering {
                    p.generics.push(quote!(#g: #tr + Send + 'static));
                    let dep = format_ident!("{}_dep", id.to_string().trim_end_matches('_'));
                    p.before.push(quote! {
                        let (#f, #d, #dep): (#c_ty, *mut ::std::ffi::c_void, Option<#rt::resource::Dependency>) = match #id {
                            Some(handler) => {
                                let (clientd, dep) = handler.registration()?;
                                (Some(#tramp::<#g>), clientd, Some(dep))
                            }
                            None => (None, ::std::ptr::null_mut(), None),
                        };
                    });
                    p.after_success.push(quote! {
                        if let Some(dep) = #dep {
                            #register_on(dep);
                        }
                    });
                } else if lends_handlers(plan) {
                    p.generics.push(quote!(#g: #tr));
                    let call_tramp = paths.callback_item(callback, cb.handler_call_trampoline());
                    let call = format_ident!("{}_call", id.to_string().trim_end_matches('_'));
                    p.before.push(quote! {
                        let mut #call = #rt::panic::HandlerCall::new(#id);
                        let (#f, #d): (#c_ty, *mut ::std::ffi::c_void) = match #id {
                            Some(handler) if !handler.is_released() => (
                                Some(#call_tramp::<#g>),
                                &mut #call as *mut #rt::panic::HandlerCall<#g> as *mut ::std::ffi::c_void,
                            ),
                            Some(_) => return Err(#rt::handler::released_handler_error()),
                            None => (None, ::std::ptr::null_mut()),
                        };
                    });
                    p.after_call.push(quote!(#call.finish();));
                } else {
                    p.uses_handler_sync = true;
                    p.generics.push(quote!(#g: #tr));
                    p.before.push(quote! {
                        let (#f, #d): (#c_ty, *mut ::std::ffi::c_void) = match #id {
                            Some(handler) if !handler.is_released() => (Some(#tramp::<#g>), handler.as_raw()),
                            Some(_) => return Err(#rt::handler::released_handler_error()),
                            None => (None, ::std::ptr::null_mut()),
                        };
                    });
                }
                p.c_args.push(quote!(#f));
                p.c_args.push(quote!(#d));
            }
            Arg::Value { name, ty } | Arg::Raw { name, ty } => {
                let id = ident(name);
                p.param_names.push(id.clone());
                p.params.push(quote!(#id: #ty));
                p.c_args.push(quote!(#id));
            }
            Arg::OutPrim { name, ty } => {
                let id = ident(name);
                p.before.push(quote! {
                    // SAFETY: C plain data: all-zero is a valid initial value.
                    let mut #id: #ty = unsafe { ::std::mem::zeroed() };
                });
                p.c_args.push(quote!(&mut #id));
                p.outs.push((quote!(#id), quote!(#ty)));
            }
            Arg::OutStruct { name, wrapper } => {
                let id = ident(name);
                let ty = paths.wrapper_path(&paths.wrappers[wrapper]);
                let ctor = paths.wrapper_expr(&paths.wrappers[wrapper]);
                p.before.push(quote!(let #id = #ctor::new_zeroed();));
                p.c_args.push(quote!(#id.get_inner()));
                p.outs.push((quote!(#id), quote!(#ty)));
            }
        }
    }
    p
}

fn cb_raw_type(plan: &Plan, name: &str) -> TokenStream {
    let param = plan
        .function
        .params
        .iter()
        .find(|p| p.name == name)
        .expect("handler param");
    let ty = &param.raw;
    quote!(#ty)
}

fn closure_types(cb: &CallbackType, paths: &Paths) -> Vec<TokenStream> {
    let args = emit_callbacks::callback_args(cb, &paths.wrappers);
    args.iter()
        .map(|a| emit_callbacks::arg_type(cb, a, paths, &paths.wrappers))
        .collect()
}

/// The success type and how to build it from `result` (the C return value).
fn result_shape(plan: &Plan, p: &Pieces, paths: &Paths, receiver: bool) -> (TokenStream, TokenStream, bool) {
    let rt = &paths.runtime;
    let outs_ty: Vec<_> = p.outs.iter().map(|(_, t)| t.clone()).collect();
    let outs_val: Vec<_> = p.outs.iter().map(|(v, _)| v.clone()).collect();
    let outs = match outs_val.len() {
        0 => None,
        1 => Some((outs_ty[0].clone(), outs_val[0].clone())),
        _ => Some((quote!((#(#outs_ty),*)), quote!((#(#outs_val),*)))),
    };
    // Handler arguments can be refused (released handler), so such methods return Result.
    let force_result = !p.generics.is_empty();
    match (&plan.ret, outs) {
        (Ret::Status, None) => (quote!(i32), quote!(result), true),
        (Ret::Status, Some((t, v))) => (t, v, true),
        (Ret::Void, Some((t, v))) => (t, v, force_result),
        (Ret::Void, None) => (quote!(()), quote!(()), force_result),
        (Ret::Bool, _) => (quote!(bool), quote!(result), force_result),
        (Ret::Value(t), _) => (quote!(#t), quote!(result), force_result),
        (Ret::RawPtr(t), _) => (quote!(#t), quote!(result), force_result),
        (Ret::Str, _) => {
            let lt = if receiver { quote!(&str) } else { quote!(&'static str) };
            // SAFETY (in the generated code): Aeron returns NUL-terminated strings owned by
            // the object, valid while it is open.
            (lt, quote!(unsafe { #rt::strings::c_str_to_str(result) }), force_result)
        }
        (Ret::Wrapper(c), _) => {
            let w = &paths.wrappers[c];
            let ty = paths.wrapper_path(w);
            let ctor = paths.wrapper_expr(w);
            let build = if receiver {
                quote!(if result.is_null() { None } else { Some(unsafe { #ctor::from_raw_in(result, self.owner().cloned()) }) })
            } else {
                quote!(if result.is_null() { None } else { Some(unsafe { #ctor::from_raw_borrowed(result) }) })
            };
            (quote!(Option<#ty>), build, force_result)
        }
    }
}

/// `let x = <result>?;` in methods returning Result, else `let Ok(x) = .. else { return v };`.
fn bail_let(binding: &TokenStream, expr: &TokenStream, closed: &TokenStream) -> TokenStream {
    if closed.is_empty() {
        quote!(let #binding = #expr?;)
    } else {
        quote!(let Ok(#binding) = #expr else { return #closed; };)
    }
}

/// What a method returns when its resource is closed: nothing for methods returning
/// Result (they propagate the error with `?`), else a neutral value.
fn closed_value(plan: &Plan, is_result: bool) -> TokenStream {
    if is_result {
        return quote!();
    }
    let is_closed_query = matches!(&plan.kind, Kind::Method { method, .. } if method == "is_closed");
    match &plan.ret {
        Ret::Void => quote!(()),
        Ret::Bool if is_closed_query => quote!(true),
        Ret::Bool => quote!(false),
        Ret::Str => quote!(""),
        Ret::Wrapper(_) => quote!(None),
        Ret::RawPtr(_) => quote!(::std::ptr::null_mut()),
        // SAFETY (in the generated code): C plain data: all-zero is a valid value.
        _ => quote!(unsafe { ::std::mem::zeroed() }),
    }
}

fn safety_doc(plan: &Plan) -> TokenStream {
    if plan.is_unsafe {
        quote! {
            ///
            /// # Safety
            /// Some arguments are raw C pointers passed through unchecked: they must be valid
            /// for what the C function does with them (see the C documentation above).
        }
    } else {
        quote!()
    }
}

/// Emits a method, static function or `_once` variant for a `Method`/`Static` plan.
fn method(plan: &Plan, paths: &Paths, name: &str, closure: bool) -> TokenStream {
    let rt = &paths.runtime;
    let (receiver, on_self) = match &plan.kind {
        Kind::Method { .. } => (true, true),
        _ => (false, false),
    };
    let register_on = if on_self {
        quote!(self.keep_alive)
    } else {
        quote!(::std::mem::forget)
    };
    // First pass to learn whether the result is a Result.
    let probe = pieces(plan, paths, &quote!(), &register_on, closure);
    let (ok_ty, build, is_result) = result_shape(plan, &probe, paths, receiver);
    let closed = closed_value(plan, is_result);
    let p = pieces(plan, paths, &closed, &register_on, closure);
    let f = format_ident!("{}", plan.function.name);
    let fname = format_ident!("{}", name);
    let docs = &plan.function.docs;
    let safety = safety_doc(plan);
    let unsafety = if plan.is_unsafe { quote!(unsafe) } else { quote!() };
    let Pieces {
        generics,
        params,
        before,
        mut c_args,
        after_success,
        uses_handler_sync,
        after_call,
        ..
    } = p;
    let self_param = if receiver { quote!(&self,) } else { quote!() };
    if let Kind::Method { self_index, .. } = &plan.kind {
        // Put self's pointer at its C position among the arguments.
        let pos = plan
            .args
            .iter()
            .take_while(|(i, _)| i < self_index)
            .map(|(_, a)| c_width(a))
            .sum::<usize>();
        c_args.insert(pos, quote!(self_ptr));
    }
    let self_check = if receiver {
        bail_let(&quote!(self_ptr), &quote!(self.checked_ptr()), &closed)
    } else {
        quote!()
    };
    let call = quote!(#f(#(#c_args),*));
    let call = if uses_handler_sync {
        quote!(#rt::panic::call_and_resume(|| unsafe { #call }))
    } else {
        quote!(unsafe { #call })
    };
    let finish = if closure {
        quote!(__call.finish();)
    } else {
        quote!(#(#after_call)*)
    };
    let status = matches!(plan.ret, Ret::Status);
    let ret_ty = if is_result {
        quote!(Result<#ok_ty, #rt::AeronCError>)
    } else {
        quote!(#ok_ty)
    };
    let tail = if status {
        quote! {
            if result < 0 {
                return Err(#rt::AeronCError::from_last_error());
            }
            #(#after_success)*
            Ok(#build)
        }
    } else if is_result {
        quote! { #(#after_success)* Ok(#build) }
    } else {
        quote! { #(#after_success)* #build }
    };
    let gens = if generics.is_empty() {
        quote!()
    } else {
        quote!(<#(#generics),*>)
    };
    let once_doc = if closure {
        quote!(#[doc = ""] #[doc = "Takes a closure for the duration of this call only (no heap allocation); a panic in it is resumed here after C returns."])
    } else {
        quote!()
    };
    // A poll lending a handler is a hot path called from several places with the same
    // handler type, where LLVM would keep it out of line: it is a few instructions around
    // the C call, so it always inlines, like the closure variants (one caller each) do.
    let inline = if !closure && !after_call.is_empty() {
        quote!(#[inline(always)])
    } else {
        quote!(#[inline])
    };
    quote! {
        #(#docs)*
        #once_doc
        #safety
        #inline
        #[allow(clippy::too_many_arguments, unused_unsafe, clippy::let_unit_value, unused_mut, unused_variables)]
        pub #unsafety fn #fname #gens(#self_param #(#params),*) -> #ret_ty {
            #self_check
            #(#before)*
            // SAFETY: pointers come from open wrappers, slices and CStrs live across the
            // call, and handlers stay registered while C can call them.
            let result = #call;
            #finish
            #tail
        }
    }
}

fn c_width(arg: &Arg) -> usize {
    match arg {
        Arg::Slice { .. } | Arg::Handler { .. } | Arg::StrLen { .. } => 2,
        _ => 1,
    }
}

fn constructor(plan: &Plan, paths: &Paths, target: &WrapperType, name: &str) -> TokenStream {
    let rt = &paths.runtime;
    let register_on = quote!(__deps.push);
    let closed = quote!();
    let p = pieces(plan, paths, &closed, &register_on, false);
    let f = format_ident!("{}", plan.function.name);
    let fname = format_ident!("{}", name);
    let docs = &plan.function.docs;
    let safety = safety_doc(plan);
    let unsafety = if plan.is_unsafe { quote!(unsafe) } else { quote!() };
    let ty = paths.wrapper_path(target);
    let c_ty = format_ident!("{}", target.c_name);
    let c_name = &plan.function.name;
    // The first wrapper argument is the parent (the client for a publication...).
    let parent = plan
        .args
        .iter()
        .find_map(|(_, a)| match a {
            Arg::Wrapper { name, .. } => {
                let id = ident(name);
                Some(quote!(#id.owner().cloned()))
            }
            _ => None,
        })
        .unwrap_or(quote!(None));
    let Pieces {
        generics,
        params,
        before,
        c_args,
        after_success,
        ..
    } = p;
    let gens = if generics.is_empty() {
        quote!()
    } else {
        quote!(<#(#generics),*>)
    };
    let result_check = if matches!(plan.ret, Ret::Void) {
        quote!()
    } else {
        quote! {
            if (result as i64) < 0 {
                return Err(#rt::AeronCError::from_last_error());
            }
        }
    };
    quote! {
        #(#docs)*
        #safety
        #[allow(clippy::too_many_arguments, unused_unsafe, clippy::new_ret_no_self, unused_mut)]
        pub #unsafety fn #fname #gens(#(#params),*) -> Result<#ty, #rt::AeronCError> {
            #(#before)*
            let mut __deps: Vec<#rt::resource::Dependency> = Vec::new();
            let mut out: *mut #c_ty = ::std::ptr::null_mut();
            // SAFETY: `out` receives the new handle; the other arguments are live.
            let result = unsafe { #f(&mut out, #(#c_args),*) };
            #result_check
            if out.is_null() {
                return Err(#rt::AeronCError::with_message(
                    #rt::AeronErrorType::NullOrNotConnected,
                    concat!(#c_name, " returned no handle"),
                ));
            }
            #(#after_success)*
            // SAFETY: `out` is a fresh handle owned by the new wrapper.
            let created = unsafe { #ty::from_raw_owned(out, #parent) };
            if let Some(owner) = created.owner() {
                for dep in __deps {
                    owner.add_dependency(dep);
                }
            }
            Ok(created)
        }
    }
}

/// A delegating method on the constructor's second argument (`aeron.async_add_publication(...)`).
fn constructor_delegate(
    plan: &Plan,
    paths: &Paths,
    target: &WrapperType,
    owner: &TokenStream,
    ctor: &str,
    name: &str,
) -> TokenStream {
    let rt = &paths.runtime;
    let p = pieces(plan, paths, &quote!(), &quote!(::std::mem::forget), false);
    let ty = paths.wrapper_path(target);
    let ctor = format_ident!("{}", ctor);
    let fname = format_ident!("{}", name);
    let docs = &plan.function.docs;
    let unsafety = if plan.is_unsafe { quote!(unsafe) } else { quote!() };
    let safety = safety_doc(plan);
    let params: Vec<_> = p.params.into_iter().skip(1).collect();
    let names: Vec<_> = p.param_names.into_iter().skip(1).collect();
    let generics = p.generics;
    let gens = if generics.is_empty() {
        quote!()
    } else {
        quote!(<#(#generics),*>)
    };
    quote! {
        #(#docs)*
        #safety
        #[inline]
        #[allow(clippy::too_many_arguments, unused_unsafe)]
        pub #unsafety fn #fname #gens(&self, #(#params),*) -> Result<#ty, #rt::AeronCError> {
            unsafe { #owner::#ctor(self, #(#names),*) }
        }
    }
}

fn async_poll(plan: &Plan, paths: &Paths, target: &WrapperType) -> TokenStream {
    let rt = &paths.runtime;
    let f = format_ident!("{}", plan.function.name);
    let ty = paths.wrapper_path(target);
    let c_ty = format_ident!("{}", target.c_name);
    let docs = &plan.function.docs;
    let what = &target.rust_name;
    let timeout_msg = format!("{what} was not ready within {{:?}}");
    quote! {
        #(#docs)*
        ///
        /// `Ok(None)` while the media driver has not answered yet. Once it returns a
        /// result (or an error) the pending handle is complete and must not be polled again.
        pub fn poll(&self) -> Result<Option<#ty>, #rt::AeronCError> {
            let self_ptr = self.checked_ptr()?;
            let mut out: *mut #c_ty = ::std::ptr::null_mut();
            // SAFETY: self_ptr is an open async handle; `out` receives the resource.
            let result = unsafe { #f(&mut out, self_ptr) };
            if result == 0 {
                // A client that closed itself (driver timeout) never completes the add.
                if self.owner().is_some_and(|o| o.client_is_closed()) {
                    return Err(#rt::AeronCError::with_message(
                        #rt::AeronErrorType::ClientErrorIllegalState,
                        "the client is closed (driver timeout?): the pending add will never complete",
                    ));
                }
                return Ok(None);
            }
            let error = if result < 0 { Some(#rt::AeronCError::from_last_error()) } else { None };
            // C marked the registration completed: this handle is done either way.
            if let Some(owner) = self.owner() {
                owner.mark_done();
            }
            if let Some(error) = error {
                return Err(error);
            }
            let parent = self.owner().and_then(|o| o.parent().cloned());
            // SAFETY: `out` is the new resource, owned from now on by the wrapper.
            Ok(Some(unsafe { #ty::from_raw_owned(out, parent) }))
        }

        /// Polls until the resource is ready, an error arrives, or `timeout` passes
        /// ([`AeronErrorType::TimedOut`](#rt::AeronErrorType::TimedOut)).
        pub fn poll_blocking(&self, timeout: ::std::time::Duration) -> Result<#ty, #rt::AeronCError> {
            let deadline = ::std::time::Instant::now() + timeout;
            loop {
                if let Some(resource) = self.poll()? {
                    return Ok(resource);
                }
                if ::std::time::Instant::now() >= deadline {
                    return Err(#rt::AeronCError::with_message(
                        #rt::AeronErrorType::TimedOut,
                        format!(#timeout_msg, timeout),
                    ));
                }
                ::std::thread::sleep(::std::time::Duration::from_micros(100));
            }
        }
    }
}

fn struct_init(plan: &Plan, paths: &Paths, target: &WrapperType, name: &str) -> TokenStream {
    let rt = &paths.runtime;
    let f = format_ident!("{}", plan.function.name);
    let ty = paths.wrapper_path(target);
    let fname = format_ident!("{}", name);
    let docs = &plan.function.docs;
    quote! {
        #(#docs)*
        pub fn #fname() -> Result<#ty, #rt::AeronCError> {
            let created = #ty::new_zeroed();
            // SAFETY: a fresh zeroed struct owned by `created`.
            let result = unsafe { #f(created.get_inner()) };
            if result < 0 {
                return Err(#rt::AeronCError::from_last_error());
            }
            Ok(created)
        }
    }
}

/// How the `no_*_handler` helpers are attached to `Handlers`.
#[derive(Debug, Clone)]
pub enum HandlersImpl {
    /// `impl Handlers { ... }` (the crate that defines `Handlers`).
    Inherent,
    /// `pub trait <Name> { ... } impl <Name> for Handlers` (other crates).
    Trait(String),
}

/// Emits the whole file for `api`.
pub fn file(
    api: &Api,
    externals: &Externals,
    runtime: &str,
    handlers: &HandlersImpl,
) -> (TokenStream, Vec<(String, String)>) {
    let mut wrappers: BTreeMap<String, WrapperType> = externals
        .wrappers
        .values()
        .map(|(_, w)| (w.c_name.clone(), w.clone()))
        .collect();
    wrappers.extend(api.wrappers.clone());
    let mut callbacks: BTreeMap<String, CallbackType> = externals
        .callbacks
        .values()
        .map(|(_, c)| (c.c_name.clone(), c.clone()))
        .collect();
    callbacks.extend(api.callbacks.clone());
    let paths = Paths {
        runtime: path_tokens(runtime),
        wrappers,
        callbacks,
    };
    let mut report = Vec::new();

    // Methods grouped by the wrapper they belong to.
    let mut impls: BTreeMap<String, Vec<TokenStream>> = BTreeMap::new();
    let mut taken: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut free = Vec::new();
    for plan in &api.plans {
        let cname = &plan.function.name;
        match &plan.kind {
            Kind::Constructor {
                target,
                method,
                also_on,
            } => {
                let w = &paths.wrappers[target];
                // A foreign target's constructor is a hidden associated fn of the type
                // it hangs off; the delegate below is the public method.
                let home = if w.external.is_some() {
                    also_on.as_ref().map(|(on, _)| on.clone())
                } else {
                    None
                };
                let home = home.unwrap_or_else(|| target.clone());
                let mut body = constructor(plan, &paths, w, method);
                if home != *target {
                    body = quote!(#[doc(hidden)] #body);
                }
                impls.entry(home.clone()).or_default().push(body);
                taken.entry(home.clone()).or_default().push(method.clone());
                let home_name = &paths.wrappers[&home].rust_name;
                report.push((cname.clone(), format!("{home_name}::{method}")));
                if let Some((on, m)) = also_on {
                    let owner = if home == *target {
                        paths.wrapper_expr(w)
                    } else {
                        quote!(Self)
                    };
                    impls
                        .entry(on.clone())
                        .or_default()
                        .push(constructor_delegate(plan, &paths, w, &owner, method, m));
                    taken.entry(on.clone()).or_default().push(m.clone());
                }
            }
            Kind::AsyncPoll { target, on } => {
                let w = &paths.wrappers[target];
                impls.entry(on.clone()).or_default().push(async_poll(plan, &paths, w));
                taken
                    .entry(on.clone())
                    .or_default()
                    .extend(["poll".to_owned(), "poll_blocking".to_owned()]);
                report.push((cname.clone(), format!("{}::poll", paths.wrappers[on].rust_name)));
            }
            Kind::StructInit { target } => {
                let w = &paths.wrappers[target];
                let used = taken.entry(target.clone()).or_default();
                let name = if used.iter().any(|m| m == "new") { "init" } else { "new" };
                used.push(name.to_owned());
                impls
                    .entry(target.clone())
                    .or_default()
                    .push(struct_init(plan, &paths, w, name));
                report.push((cname.clone(), format!("{}::{}", w.rust_name, name)));
            }
            Kind::Method { on, method: m, .. }
            | Kind::Static {
                on: Some(on),
                method: m,
            } => {
                let body = method(plan, &paths, m, false);
                let list = impls.entry(on.clone()).or_default();
                list.push(body);
                let names = taken.entry(on.clone()).or_default();
                names.push(m.clone());
                report.push((cname.clone(), format!("{}::{}", paths.wrappers[on].rust_name, m)));
                let handlers = plan
                    .args
                    .iter()
                    .filter(|(_, a)| matches!(a, Arg::Handler { .. }))
                    .count();
                if plan.synchronous_callbacks && handlers == 1 {
                    let once = format!("{m}_once");
                    if !names.contains(&once) {
                        names.push(once.clone());
                        list.push(method(plan, &paths, &once, true));
                    }
                }
            }
            Kind::Static { on: None, method: m } => {
                free.push(method(plan, &paths, m, false));
                report.push((cname.clone(), m.clone()));
            }
        }
    }
    for (c, destructor) in &api.destructors {
        report.push((
            destructor.function.name.clone(),
            format!("Drop for {}", api.wrappers[c].rust_name),
        ));
    }

    let mut items = Vec::new();
    for w in api.wrappers.values() {
        let names = taken.get(&w.c_name).cloned().unwrap_or_default();
        items.push(emit_types::wrapper_struct(api, w, &paths, &names));
        if let Some(methods) = impls.remove(&w.c_name) {
            let name = format_ident!("{}", w.rust_name);
            let (generics, args) = emit_types::lifetime_params(w);
            items.push(quote! {
                impl #generics #name #args {
                    #(#methods)*
                }
            });
        }
    }
    for cb in api.callbacks.values() {
        items.push(emit_callbacks::callback_items(cb, &paths, &paths.wrappers));
    }
    let rt = &paths.runtime;
    match handlers {
        HandlersImpl::Inherent => {
            let fns = api
                .callbacks
                .values()
                .map(|cb| emit_callbacks::no_handler_fn(cb, &paths, false));
            items.push(quote!(impl #rt::Handlers { #(#fns)* }));
        }
        HandlersImpl::Trait(name) => {
            let tr = format_ident!("{}", name);
            let fns = api
                .callbacks
                .values()
                .map(|cb| emit_callbacks::no_handler_fn(cb, &paths, true));
            let doc = "Typed \"no handler\" values for this crate's callbacks, as associated functions of `Handlers` (bring the trait into scope).";
            items.push(quote! {
                #[doc = #doc]
                pub trait #tr {
                    #(#fns)*
                }
                impl #tr for #rt::Handlers {}
            });
        }
    }
    items.extend(free);
    (quote!(#(#items)*), report)
}

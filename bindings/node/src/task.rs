//! One `AsyncTask` shape for every async form: the work runs on the libuv
//! thread pool, the result (or a [`NodeError`]) becomes JS on the JS thread.

use napi::bindgen_prelude::*;
use napi::{Env, Task};
use std::result::Result;

use crate::error::NodeError;

/// Blocking work with a JavaScript result.
pub trait Work: Send + Sized + 'static {
    /// What the work produces off the JS thread.
    type Output: Send + 'static;
    /// What the promise resolves to.
    type Js: ToNapiValue + TypeName;
    /// Runs on a thread-pool thread.
    fn run(self) -> Result<Self::Output, NodeError>;
    /// Runs on the JS thread.
    fn into_js(env: &Env, output: Self::Output) -> Result<Self::Js, NodeError>;
}

/// A [`Work`] whose arguments were read on the JS thread: invalid arguments
/// reject the promise instead of throwing synchronously.
pub struct Offload<W: Work>(Option<Result<W, NodeError>>);

impl<W: Work> Offload<W> {
    pub fn new(work: Result<W, NodeError>) -> AsyncTask<Self> {
        AsyncTask::new(Offload(Some(work)))
    }
}

impl<W: Work> Task for Offload<W> {
    type Output = Result<W::Output, NodeError>;
    type JsValue = W::Js;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(match self.0.take() {
            Some(Ok(work)) => work.run(),
            Some(Err(e)) => Err(e),
            None => Err(NodeError::new("ERR_LOKI_INTERNAL", "the task ran twice")),
        })
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        output.and_then(|out| W::into_js(&env, out)).map_err(|e| e.into_napi(&env))
    }
}

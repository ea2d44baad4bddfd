//! Errors as JavaScript sees them: `Error` objects with a stable `code`.
//!
//! Every failure is a [`NodeError`] until the moment it crosses into
//! JavaScript, where [`NodeError::into_napi`] builds the object (on the JS
//! thread, so async tasks carry a `NodeError` back from the thread pool).

use napi::bindgen_prelude::*;
use napi::sys;

/// The `code` of an argument of the wrong JavaScript type (a `TypeError`, as in Node).
pub const ERR_INVALID_ARG_TYPE: &str = "ERR_INVALID_ARG_TYPE";
/// The `code` of an argument of the right type but an unusable value (a `TypeError`, as in Node).
pub const ERR_INVALID_ARG_VALUE: &str = "ERR_INVALID_ARG_VALUE";
/// The `code` of text that is not a valid exposition (carries `line` and `column`).
pub const ERR_LOKI_PARSE: &str = "ERR_LOKI_PARSE";
/// The `code` of a network failure: nothing answered, TLS failed, not HTTP, body too large.
pub const ERR_LOKI_IO: &str = "ERR_LOKI_IO";
/// The `code` of a scrape with no complete answer within its `timeoutMs`.
pub const ERR_LOKI_TIMEOUT: &str = "ERR_LOKI_TIMEOUT";
/// The `code` of a class called without `new` (a `TypeError`, as in Node).
pub const ERR_CONSTRUCT_CALL_REQUIRED: &str = "ERR_CONSTRUCT_CALL_REQUIRED";
/// The `code` of an HTTP answer other than 200 (carries `status`).
pub const ERR_LOKI_HTTP_STATUS: &str = "ERR_LOKI_HTTP_STATUS";
/// The `code` of an exporter that could not start (bad config, port in use, TLS files).
pub const ERR_LOKI_SERVE: &str = "ERR_LOKI_SERVE";

/// A failure on its way to JavaScript.
#[derive(Debug)]
pub struct NodeError {
    /// The stable `code` property.
    pub code: &'static str,
    /// The `message` property.
    pub message: String,
    /// Extra numeric properties (`line`, `column`, `status`).
    pub fields: Vec<(&'static str, f64)>,
    /// A value JavaScript code threw while its argument was read (a getter,
    /// a Proxy trap): thrown again as it is instead of `code` and `message`.
    thrown: Option<napi::Error>,
}

impl NodeError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        NodeError { code, message: message.into(), fields: Vec::new(), thrown: None }
    }

    /// The exception JavaScript left pending in `env` (cleared) while argument
    /// `name` was read, if any. An object is thrown again as it is; a primitive
    /// (`throw 'text'`), which napi cannot hold a reference to, becomes an
    /// `ERR_INVALID_ARG_VALUE` that quotes it.
    pub fn rethrow_pending(env: sys::napi_env, name: &str) -> Option<Self> {
        let mut pending = false;
        // SAFETY: `env` is the live environment of the current call, on its thread.
        let status = unsafe { sys::napi_is_exception_pending(env, &mut pending) };
        if status != sys::Status::napi_ok || !pending {
            return None;
        }
        let mut raw = std::ptr::null_mut();
        // SAFETY: as above; an exception is pending.
        if unsafe { sys::napi_get_and_clear_last_exception(env, &mut raw) } != sys::Status::napi_ok {
            return None;
        }
        // SAFETY: `raw` is a live value of `env`.
        let value = unsafe { Unknown::from_raw_unchecked(env, raw) };
        let is_object = matches!(value.get_type(), Ok(ValueType::Object | ValueType::Function));
        let error = if is_object {
            let thrown = napi::Error::from(value);
            let message = thrown.reason.clone();
            NodeError { code: "", message, fields: Vec::new(), thrown: Some(thrown) }
        } else {
            let text = value.coerce_to_string().and_then(|s| s.into_utf8()).and_then(|s| s.into_owned());
            NodeError::arg_value(name, format!("reading it threw {}", text.unwrap_or_else(|_| "a value".to_owned())))
        };
        // Describing the value may run its own throwing `toString`; that one is dropped.
        let mut ignored = std::ptr::null_mut();
        // SAFETY: as above.
        unsafe { sys::napi_get_and_clear_last_exception(env, &mut ignored) };
        Some(error)
    }

    /// `The "<name>" argument must be <expected>. Received <what>`, as Node words it.
    pub fn arg_type(name: &str, expected: &str, received: ValueType) -> Self {
        NodeError::new(
            ERR_INVALID_ARG_TYPE,
            format!("The \"{name}\" argument must be {expected}. Received {}", describe(received)),
        )
    }

    pub fn arg_value(name: &str, message: impl std::fmt::Display) -> Self {
        NodeError::new(ERR_INVALID_ARG_VALUE, format!("The \"{name}\" argument is invalid: {message}"))
    }

    pub fn with(mut self, name: &'static str, value: f64) -> Self {
        self.fields.push((name, value));
        self
    }

    /// Builds the JavaScript error object (a `TypeError` for argument errors).
    pub fn into_napi(self, env: &Env) -> napi::Error {
        if let Some(thrown) = self.thrown {
            return thrown;
        }
        match self.to_js(env) {
            Ok(object) => napi::Error::from(object.to_unknown()),
            // Only when the engine cannot allocate: a plain error keeps the code.
            Err(_) => napi::Error::new(Status::GenericFailure, format!("{}: {}", self.code, self.message)),
        }
    }

    fn to_js<'env>(&self, env: &'env Env) -> napi::Result<Object<'env>> {
        let code = env.create_string(self.code)?;
        let message = env.create_string(&self.message)?;
        let mut raw = std::ptr::null_mut();
        let is_type_error =
            matches!(self.code, ERR_INVALID_ARG_TYPE | ERR_INVALID_ARG_VALUE | ERR_CONSTRUCT_CALL_REQUIRED);
        // SAFETY: `env` is the live environment of this call and `code` and
        // `message` are string values created in it just above.
        let status = unsafe {
            if is_type_error {
                sys::napi_create_type_error(env.raw(), code.raw(), message.raw(), &mut raw)
            } else {
                sys::napi_create_error(env.raw(), code.raw(), message.raw(), &mut raw)
            }
        };
        if status != sys::Status::napi_ok {
            return Err(napi::Error::new(Status::GenericFailure, "cannot create an Error"));
        }
        let mut object = Object::from_raw(env.raw(), raw);
        for (name, value) in &self.fields {
            object.set_named_property(name, *value)?;
        }
        Ok(object)
    }
}

/// Ends a synchronous call: converts the error into a thrown JS error.
pub trait OrThrow<T> {
    fn or_throw(self, env: &Env) -> napi::Result<T>;
}

impl<T> OrThrow<T> for std::result::Result<T, NodeError> {
    fn or_throw(self, env: &Env) -> napi::Result<T> {
        self.map_err(|e| e.into_napi(env))
    }
}

/// A number as JavaScript prints it: exponent form from 1e21 on, not 301 digits.
pub fn js_number(value: f64) -> String {
    if value.is_finite() && value != 0.0 && !(1e-7..1e21).contains(&value.abs()) {
        format!("{value:e}")
    } else {
        value.to_string()
    }
}

fn describe(received: ValueType) -> &'static str {
    match received {
        ValueType::Undefined => "undefined",
        ValueType::Null => "null",
        ValueType::Boolean => "type boolean",
        ValueType::Number => "type number",
        ValueType::String => "type string",
        ValueType::Symbol => "type symbol",
        ValueType::Object => "an object",
        ValueType::Function => "a function",
        ValueType::BigInt => "type bigint",
        _ => "a value of another type",
    }
}

impl From<loki_metrics::Error> for NodeError {
    fn from(e: loki_metrics::Error) -> Self {
        NodeError::new(ERR_INVALID_ARG_VALUE, e.message_for(loki_metrics::NameStyle::Camel))
    }
}

impl From<loki_metrics_server::ServeError> for NodeError {
    fn from(e: loki_metrics_server::ServeError) -> Self {
        NodeError::new(ERR_LOKI_SERVE, e.to_string())
    }
}

impl From<loki_metrics_server::FetchError> for NodeError {
    fn from(e: loki_metrics_server::FetchError) -> Self {
        use loki_metrics_server::FetchError;
        match &e {
            FetchError::InvalidUrl { .. } | FetchError::InvalidHeader(_) => {
                NodeError::new(ERR_INVALID_ARG_VALUE, e.to_string())
            }
            FetchError::Status { status, .. } => {
                let status = f64::from(*status);
                NodeError::new(ERR_LOKI_HTTP_STATUS, e.to_string()).with("status", status)
            }
            FetchError::Timeout { .. } => NodeError::new(ERR_LOKI_TIMEOUT, e.to_string()),
            _ => NodeError::new(ERR_LOKI_IO, e.to_string()),
        }
    }
}

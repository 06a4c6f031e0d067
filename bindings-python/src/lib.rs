//! The compiled part of the `paragon_connect` Python package: the clients, over the Rust core.

mod client;
mod convert;
mod errors;
mod runtime;

use pyo3::prelude::*;

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<client::Paragon>()?;
    module.add_class::<client::AsyncParagon>()?;
    module.add("__version__", paragon_connect::VERSION)?;
    Ok(())
}

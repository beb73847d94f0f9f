//! The terminal: setup and guaranteed restore, the event loop.

use crate::pipeline::PipelineHandle;

pub struct TuiOptions {
    pub bell: bool,
}

pub async fn run(handle: PipelineHandle, options: TuiOptions) -> anyhow::Result<()> {
    let _ = (handle, options.bell);
    anyhow::bail!("the TUI is not built yet")
}

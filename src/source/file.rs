//! Files and standard input, optionally followed like `tail -F`.
//!
//! Reading is blocking I/O on a dedicated thread (large reads, `blocking_send` into the pipeline's
//! channel, so the channel's capacity is the back-pressure). A finite read ends with
//! [`SourceEvent::Finished`]. Following keeps reading as the file grows and across rotation:
//! rename (the path names another file: the old one is read to its end, then the new one from its
//! start) and copytruncate (the file is shorter than what was read: start again at 0). A missing
//! file is retried every poll and reported in the status bar until it appears. A FIFO is opened
//! by the reader thread, never at start: opening one waits for a writer. Each input reports its
//! state, bytes and lines read and lag behind its end (`report`) for the inputs view.

mod chunker;
mod report;

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use self::chunker::{LineChunker, Lines};
use self::report::FileReport;
use super::status::PartState;
use super::{Payload, RawBatch, Source, SourceEvent, SourceSender};

/// How a [`FileSource`] reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOptions {
    /// Bytes per read; a batch holds about this much.
    pub chunk_size: usize,
    /// Lines longer than this are handed on in pieces of this size, each counted as a line.
    pub max_line: usize,
    /// How often a followed file is checked for growth, rotation or reappearance.
    pub poll_interval: Duration,
}

impl Default for FileOptions {
    fn default() -> Self {
        FileOptions {
            chunk_size: 512 * 1024,
            max_line: 1024 * 1024,
            poll_interval: Duration::from_millis(250),
        }
    }
}

/// A file that cannot be read at start; the message names the path.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {}: {error}", path.display())]
pub struct FileOpenError {
    pub path: PathBuf,
    pub error: io::Error,
}

enum Input {
    Stdin,
    Path(PathBuf),
}

/// A log file or standard input (`-`) as a [`Source`].
pub struct FileSource {
    input: Input,
    follow: bool,
    origin: Arc<str>,
    options: FileOptions,
    /// The handle opened by [`FileSource::open`], so the file checked is the file read.
    opened: Option<File>,
    /// A FIFO's read end opened without waiting (to check access at start), held until the
    /// reader thread's own blocking open returns: a writer that comes meanwhile finds a reader
    /// instead of a broken pipe.
    fifo_guard: Option<File>,
}

impl FileSource {
    /// The `RawBatch::origin` of the batches read from `path`.
    pub fn origin_of(path: &Path) -> Arc<str> {
        if path == Path::new("-") {
            Arc::from("stdin")
        } else {
            Arc::from(path.display().to_string())
        }
    }

    /// Checks that `path` can be read (`-` is standard input). Following, a file that does not
    /// exist yet is fine (it is waited for); anything else unreadable is an error naming the path.
    pub fn open(path: impl AsRef<Path>, follow: bool) -> Result<FileSource, FileOpenError> {
        let path = path.as_ref();
        if path == Path::new("-") {
            return Ok(FileSource {
                input: Input::Stdin,
                follow,
                origin: Self::origin_of(path),
                options: FileOptions::default(),
                opened: None,
                fifo_guard: None,
            });
        }
        let fail = |error| FileOpenError {
            path: path.to_path_buf(),
            error,
        };
        if is_fifo(path) {
            // Opening a FIFO for reading waits for a writer: done by the reader thread, so that
            // start-up (and a signal meanwhile) is not held up. Checked for access now.
            let guard = open_fifo_without_waiting(path).map_err(fail)?;
            return Ok(FileSource {
                input: Input::Path(path.to_path_buf()),
                follow,
                origin: Self::origin_of(path),
                options: FileOptions::default(),
                opened: None,
                fifo_guard: Some(guard),
            });
        }
        let opened = match File::open(path) {
            Ok(file) => {
                if file.metadata().map_err(fail)?.is_dir() {
                    return Err(fail(io::Error::other("is a directory")));
                }
                Some(file)
            }
            Err(e) if follow && e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(fail(e)),
        };
        Ok(FileSource {
            input: Input::Path(path.to_path_buf()),
            follow,
            origin: Self::origin_of(path),
            options: FileOptions::default(),
            opened,
            fifo_guard: None,
        })
    }

    pub fn with_options(mut self, options: FileOptions) -> Self {
        self.options = options;
        self
    }

    /// Reads on the calling thread until the end (finite), cancellation, or the receiver going
    /// away. Must not be called from an async context (it uses `blocking_send`).
    pub fn read_blocking(
        mut self,
        out: &SourceSender,
        cancel: &CancellationToken,
    ) -> anyhow::Result<()> {
        let name = match &self.input {
            Input::Stdin => "stdin".to_string(),
            Input::Path(path) => path.display().to_string(),
        };
        let mut reader = Reader {
            chunker: LineChunker::new(self.options.chunk_size, self.options.max_line),
            origin: self.origin.clone(),
            out,
            cancel,
            report: FileReport::new(name, PartState::Reading, crate::clock::now_ms()),
        };
        match &self.input {
            Input::Stdin => {
                // Following standard input is just reading it to its end.
                let stdin = io::stdin();
                let mut lock = stdin.lock();
                reader
                    .read_to_end(&mut lock)
                    .context("reading standard input")?;
            }
            Input::Path(path) if !self.follow => {
                let mut file = match self.opened.take() {
                    Some(file) => file,
                    None => {
                        if is_fifo(path) {
                            tracing::info!(path = %path.display(), "FIFO: waiting for a writer");
                            reader.set_state(PartState::WaitingForWriter);
                            if reader.send_report().is_err() {
                                return Ok(());
                            }
                        }
                        File::open(path)
                            .with_context(|| format!("cannot read {}", path.display()))?
                    }
                };
                self.fifo_guard = None;
                tracing::info!(path = %path.display(), "reading");
                reader.set_state(PartState::Reading);
                reader
                    .report
                    .set_size(regular_file_size(&file.metadata().ok()));
                reader
                    .read_to_end(&mut file)
                    .with_context(|| format!("reading {}", path.display()))?;
            }
            Input::Path(path) => {
                let path = path.clone();
                return Follower::new(reader, path, self.opened.take(), &self.options).run();
            }
        }
        if !cancel.is_cancelled() {
            reader.set_state(PartState::Ended);
            let _ = reader.send_report();
            let _ = out.blocking_send(SourceEvent::Finished);
        }
        Ok(())
    }
}

/// A regular file's size (pipes and devices have none that means "the end").
fn regular_file_size(meta: &Option<std::fs::Metadata>) -> Option<u64> {
    meta.as_ref().filter(|m| m.is_file()).map(|m| m.len())
}

impl Source for FileSource {
    fn describe(&self) -> String {
        match &self.input {
            Input::Stdin => "stdin".into(),
            Input::Path(path) => path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
        }
    }

    fn run(
        self: Box<Self>,
        out: SourceSender,
        cancel: CancellationToken,
    ) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(async move {
            let (done_tx, done_rx) = tokio::sync::oneshot::channel();
            let thread_cancel = cancel.clone();
            // A plain thread, not `spawn_blocking`: a read from standard input cannot be
            // interrupted, and the runtime must not wait for it when shutting down.
            std::thread::Builder::new()
                .name(format!("read {}", self.origin))
                .spawn(move || {
                    let _ = done_tx.send(self.read_blocking(&out, &thread_cancel));
                })
                .context("starting the file reader thread")?;
            tokio::select! {
                done = done_rx => done.unwrap_or_else(|_| Err(anyhow::anyhow!("file reader thread panicked"))),
                _ = cancel.cancelled() => Ok(()),
            }
        })
    }
}

/// Sends the chunker's batches, and the input's progress.
struct Reader<'a> {
    chunker: LineChunker,
    origin: Arc<str>,
    out: &'a SourceSender,
    cancel: &'a CancellationToken,
    report: FileReport,
}

/// Why reading stopped early.
enum Stop {
    /// Cancelled, or nobody is listening any more.
    Quit,
    Io(io::Error),
}

impl Reader<'_> {
    fn send(&mut self, lines: Option<Lines>) -> Result<(), Stop> {
        let Some(lines) = lines else { return Ok(()) };
        self.report.sent_lines(lines.count);
        let batch = RawBatch {
            origin: self.origin.clone(),
            first_line: lines.first_line,
            received_ms: crate::clock::now_ms(),
            payload: Payload::Lines(lines.bytes),
        };
        self.out
            .blocking_send(SourceEvent::Batch(batch))
            .map_err(|_| Stop::Quit)
    }

    fn set_state(&mut self, state: PartState) {
        self.report.set_state(state, crate::clock::now_ms());
    }

    /// Sends the input's progress now.
    fn send_report(&mut self) -> Result<(), Stop> {
        let status = self.report.take_status(std::time::Instant::now());
        self.out
            .blocking_send(SourceEvent::Status(status))
            .map_err(|_| Stop::Quit)
    }

    /// Sends the input's progress if it changed or the last report is old.
    fn report_if_due(&mut self) -> Result<(), Stop> {
        if self.report.due(std::time::Instant::now()) {
            self.send_report()?;
        }
        Ok(())
    }

    /// Reads what is there now; returns the bytes read (0: nothing new).
    fn read_available(&mut self, input: &mut impl Read) -> Result<u64, Stop> {
        let mut total = 0;
        loop {
            if self.cancel.is_cancelled() {
                return Err(Stop::Quit);
            }
            let n = self.chunker.fill(input).map_err(Stop::Io)?;
            if n == 0 {
                return Ok(total);
            }
            total += n as u64;
            self.report.read(n as u64);
            while let Some(lines) = self.chunker.take_lines() {
                self.send(Some(lines))?;
            }
            self.report_if_due()?;
        }
    }

    /// Reads to the end and sends the last line even without its newline.
    fn read_to_end(&mut self, input: &mut impl Read) -> io::Result<()> {
        match self.read_available(input) {
            Ok(_) => {}
            Err(Stop::Quit) => return Ok(()),
            Err(Stop::Io(e)) => return Err(e),
        }
        let rest = self.chunker.take_rest();
        let _ = self.send(rest);
        Ok(())
    }

    /// The current file is done (rotated away or truncated): its unfinished last line is sent.
    fn end_of_file(&mut self) -> Result<(), Stop> {
        let rest = self.chunker.take_rest();
        self.send(rest)?;
        self.chunker.restart();
        Ok(())
    }
}

/// Which file a path names: rename rotation shows as a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
}

#[cfg(unix)]
fn file_id(meta: &std::fs::Metadata) -> FileId {
    use std::os::unix::fs::MetadataExt;
    FileId {
        dev: meta.dev(),
        ino: meta.ino(),
    }
}

#[cfg(not(unix))]
fn file_id(_meta: &std::fs::Metadata) -> FileId {
    // No inode: rename rotation is not seen, copytruncate still is.
    FileId { dev: 0, ino: 0 }
}

/// `tail -F` on one path.
struct Follower<'a> {
    reader: Reader<'a>,
    path: PathBuf,
    file: Option<(File, FileId)>,
    /// Bytes read from the current file (its position).
    offset: u64,
    poll: Duration,
}

impl<'a> Follower<'a> {
    fn new(reader: Reader<'a>, path: PathBuf, opened: Option<File>, options: &FileOptions) -> Self {
        let file = opened.and_then(|f| f.metadata().ok().map(|m| file_id(&m)).map(|id| (f, id)));
        Follower {
            reader,
            path,
            file,
            offset: 0,
            poll: options.poll_interval,
        }
    }

    fn run(mut self) -> anyhow::Result<()> {
        loop {
            match self.step() {
                Ok(()) => {}
                Err(Stop::Quit) => return Ok(()),
                Err(Stop::Io(e)) => {
                    // A read error on a followed file is worth retrying (network filesystems,
                    // permissions being fixed): show it and open the path again.
                    let problem = format!("{}: {e}", self.path.display());
                    if self.show(PartState::Waiting, Some(problem)).is_err() {
                        return Ok(());
                    }
                    self.file = None;
                    self.reader.chunker.restart();
                    self.sleep();
                }
            }
            if self.reader.cancel.is_cancelled() {
                return Ok(());
            }
        }
    }

    /// One round: open the file if needed, read what is new, then look for rotation.
    fn step(&mut self) -> Result<(), Stop> {
        let Some((file, id)) = self.file.as_mut() else {
            if is_fifo(&self.path) {
                self.show(PartState::WaitingForWriter, None)?;
            }
            match File::open(&self.path) {
                Ok(file) => {
                    let meta = file.metadata().map_err(Stop::Io)?;
                    self.file = Some((file, file_id(&meta)));
                    self.offset = 0;
                    self.reader.report.new_file();
                    self.reader.report.set_size(regular_file_size(&Some(meta)));
                    // "rotated" stays until the new file's first lines.
                    let state = match self.reader.report.state() {
                        PartState::Rotated => PartState::Rotated,
                        _ => PartState::Reading,
                    };
                    self.show(state, None)?;
                }
                Err(e) => {
                    let why = if e.kind() == io::ErrorKind::NotFound {
                        String::new()
                    } else {
                        format!(" ({e})")
                    };
                    let problem = format!("waiting for {}{why}", self.path.display());
                    self.show(PartState::Waiting, Some(problem))?;
                    self.sleep();
                }
            }
            return Ok(());
        };
        let id = *id;
        let read = self.reader.read_available(file)?;
        self.offset += read;
        if read > 0 {
            self.reader.set_state(PartState::Reading);
            return Ok(()); // more may be coming right away
        }
        match std::fs::metadata(&self.path) {
            Ok(meta) if file_id(&meta) != id => {
                // Rotated by rename: finish the old file (a writer may have added a last few
                // lines before reopening), then start the new one from its beginning.
                let (mut old, _) = self.file.take().expect("current file");
                self.reader.read_available(&mut old)?;
                let lines = self.reader.chunker.lines_done();
                self.reader.end_of_file()?;
                self.show(PartState::Rotated, None)?;
                tracing::info!(path = %self.path.display(), lines, "followed file rotated (rename)");
            }
            Ok(meta) if meta.len() < self.offset => {
                // Copytruncate: the file was copied away and emptied in place.
                let lines = self.reader.chunker.lines_done();
                self.reader.end_of_file()?;
                let (file, _) = self.file.as_mut().expect("current file");
                file.seek(SeekFrom::Start(0)).map_err(Stop::Io)?;
                self.offset = 0;
                self.reader.report.new_file();
                self.show(PartState::Rotated, None)?;
                tracing::info!(path = %self.path.display(), lines, "followed file truncated");
            }
            Ok(meta) => {
                self.reader.report.set_size(regular_file_size(&Some(meta)));
                self.show(PartState::Following, None)?;
                self.sleep();
            }
            Err(_) => {
                // Renamed away and not yet re-created: keep reading the old file meanwhile.
                let problem = format!("waiting for {}", self.path.display());
                self.show(PartState::Waiting, Some(problem))?;
                self.sleep();
            }
        }
        Ok(())
    }

    /// Sets the state and problem; reports them at once if they changed, else when due.
    fn show(&mut self, state: PartState, problem: Option<String>) -> Result<(), Stop> {
        self.reader.set_state(state);
        self.reader.report.set_problem(problem);
        self.reader.report_if_due()
    }

    /// Waits one poll interval, waking early when cancelled.
    fn sleep(&self) {
        let step = Duration::from_millis(20).min(self.poll);
        let mut slept = Duration::ZERO;
        while slept < self.poll && !self.reader.cancel.is_cancelled() {
            std::thread::sleep(step);
            slept += step;
        }
    }
}

/// Whether `path` names a FIFO (a named pipe); `stat` does not wait for a writer.
#[cfg(unix)]
fn is_fifo(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}

#[cfg(not(unix))]
fn is_fifo(_path: &Path) -> bool {
    false
}

/// Opens the FIFO's read end without waiting for a writer (`O_NONBLOCK`): it may be read.
#[cfg(unix)]
fn open_fifo_without_waiting(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_fifo_without_waiting(path: &Path) -> io::Result<File> {
    File::open(path)
}

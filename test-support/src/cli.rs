//! The one flag parser of the bench programs (`--name value` / `--name=value`) and the
//! error type and `main` wrapper they share.

use std::fmt::Display;
use std::process::ExitCode;
use std::str::FromStr;

/// Any failure of an example: an Aeron error, a bad flag, or a failed verification.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
/// Result of an example step.
pub type Result<T> = std::result::Result<T, Error>;

/// An error with this message.
pub fn fail(message: impl Into<String>) -> Error {
    message.into().into()
}

/// `--name value` (or `--name=value`) flags, read by name; unknown names are an error.
#[derive(Debug, Default)]
pub struct Flags {
    pairs: Vec<(String, String)>,
    help: bool,
}

impl Flags {
    /// Splits the arguments (without the program name) into flags.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Flags> {
        let mut flags = Flags::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let Some(name) = arg.strip_prefix("--") else {
                return Err(fail(format!(
                    "unexpected argument {arg:?} (flags look like --name value)"
                )));
            };
            if name == "help" {
                flags.help = true;
            } else if let Some((name, value)) = name.split_once('=') {
                flags.pairs.push((name.to_owned(), value.to_owned()));
            } else {
                let value = args.next().ok_or_else(|| fail(format!("--{name} needs a value")))?;
                flags.pairs.push((name.to_owned(), value));
            }
        }
        Ok(flags)
    }

    /// The value of `--name` (the last one if repeated), parsed; `None` when absent.
    pub fn take<T: FromStr>(&mut self, name: &str) -> Result<Option<T>>
    where
        T::Err: Display,
    {
        let mut value = None;
        self.pairs.retain(|(n, v)| {
            let matched = n == name;
            if matched {
                value = Some(v.clone());
            }
            !matched
        });
        match value {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|e| fail(format!("--{name} {v:?}: {e}"))),
        }
    }

    /// The value of `--name`, or `default`.
    pub fn get<T: FromStr>(&mut self, name: &str, default: T) -> Result<T>
    where
        T::Err: Display,
    {
        Ok(self.take(name)?.unwrap_or(default))
    }

    /// Fails on any flag nobody asked for.
    pub fn finish(self) -> Result<()> {
        match self.pairs.first() {
            None => Ok(()),
            Some((name, _)) => Err(fail(format!("unknown flag --{name}"))),
        }
    }
}

/// The `main` of every example: parses the flags with `parse`, prints `usage` for `--help`,
/// runs the example and turns its result into the exit code (failures print to stderr).
pub fn main<C, S>(
    usage: &str,
    parse: impl FnOnce(&mut Flags) -> Result<C>,
    run: impl FnOnce(C) -> Result<S>,
) -> ExitCode {
    let result = Flags::parse(std::env::args().skip(1)).and_then(|mut flags| {
        if flags.help {
            println!("{usage}");
            return Ok(None);
        }
        let config = parse(&mut flags)?;
        flags.finish()?;
        Ok(Some(config))
    });
    let config = match result {
        Ok(Some(config)) => config,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}\n\n{usage}");
            return ExitCode::FAILURE;
        }
    };
    match run(config) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

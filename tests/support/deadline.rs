//! Shared by the test crates that start processes (`#[path]`-included): a child that hangs
//! fails its test instead of stalling the suite.

use std::process::{Child, Command, Output};
use std::time::Duration;

/// The child's output, or a failure after `secs` (the child killed): a hang fails its test
/// instead of stalling the suite.
pub fn finish(child: Child, secs: u64) -> Output {
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("child {pid} still running after {secs} s: it hangs");
        }
    }
}

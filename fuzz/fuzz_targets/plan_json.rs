//! A plan's JSON through the data-loss gate's reader: read or refused
//! (fail closed), never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    sitectl::fuzzing::read_plan(text);
});

//! Spec bytes through load and validate: located diagnostics or a valid
//! site, never a panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    sitectl::fuzzing::validate_spec_bytes(bytes);
});

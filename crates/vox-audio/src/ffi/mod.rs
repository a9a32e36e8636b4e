//! Thin bindings to the two C codec libraries Vox links dynamically from the system: libopus
//! (BSD) and LAME (LGPL; dynamic linking keeps Vox's own licence free of its terms).

pub mod lame;
pub mod opus;

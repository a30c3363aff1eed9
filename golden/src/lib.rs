pub fn hello() {}
pub mod fec;

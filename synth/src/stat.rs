//! Yosys `stat -json` parsing, resource classification and hierarchy roll-up.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::SynthError;

/// Cell counts by type, as Yosys' `num_cells_by_type`.
pub type CellCounts = BTreeMap<String, u64>;

/// Resource figures of a design or block, classified from mapped cell types.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resources {
    /// 4-input LUTs: ECP5 `LUT4`, iCE40 `SB_LUT4` (carry cells not included).
    pub luts: u64,
    /// Carry cells: ECP5 `CCU2C` (two LUT4 sites each), iCE40 `SB_CARRY`.
    pub carry: u64,
    /// Flip-flops: ECP5 `TRELLIS_FF`, iCE40 `SB_DFF*`.
    pub ffs: u64,
    /// Multipliers: ECP5 `MULT18X18D`, iCE40 `SB_MAC16`.
    pub dsp: u64,
    /// Block RAMs: ECP5 `DP16KD` / `PDPW16KD`, iCE40 `SB_RAM40_4K`.
    pub bram: u64,
}

impl Resources {
    /// Classify mapped cell types into resource figures.
    pub fn from_cells(cells: &CellCounts) -> Self {
        let mut r = Resources::default();
        for (ty, &n) in cells {
            match ty.trim_start_matches('\\') {
                "LUT4" | "SB_LUT4" => r.luts += n,
                "CCU2C" | "SB_CARRY" => r.carry += n,
                "TRELLIS_FF" => r.ffs += n,
                t if t.starts_with("SB_DFF") => r.ffs += n,
                "MULT18X18D" | "SB_MAC16" => r.dsp += n,
                "DP16KD" | "PDPW16KD" | "SB_RAM40_4K" => r.bram += n,
                _ => {}
            }
        }
        r
    }
}

#[derive(Deserialize)]
struct RawStat {
    modules: BTreeMap<String, RawModule>,
}

#[derive(Deserialize)]
struct RawModule {
    #[serde(default)]
    num_cells_by_type: CellCounts,
}

/// A parsed `stat -json` output: the cells directly inside each module.
#[derive(Debug, Clone, PartialEq)]
pub struct Stat {
    /// Module name (Yosys' escaped `\` stripped) to the cells directly inside it,
    /// sub-module instances included under the sub-module's name.
    pub modules: BTreeMap<String, CellCounts>,
}

/// Strip Yosys' leading `\` from a public identifier.
pub(crate) fn unescape(name: &str) -> &str {
    name.strip_prefix('\\').unwrap_or(name)
}

/// The source-level name of a module: `$paramod\fir\N=8` and `$paramod$abc\fir` give `fir`.
pub fn base_module_name(name: &str) -> &str {
    let name = unescape(name);
    if name.starts_with("$paramod") {
        if let Some(i) = name.find('\\') {
            let rest = &name[i + 1..];
            return rest.split('\\').next().unwrap_or(rest);
        }
    }
    name
}

/// Drops Yosys 0.23's stray `   module_name   count` lines from `stat -json` output.
fn strip_hierarchy_table(text: &str) -> String {
    let stray = |l: &str| {
        let mut it = l.split_whitespace();
        match (it.next(), it.next(), it.next()) {
            (Some(name), Some(count), None) => {
                !name.starts_with('"')
                    && !name.contains(':')
                    && count.chars().all(|c| c.is_ascii_digit())
            }
            _ => false,
        }
    };
    text.lines()
        .filter(|l| !stray(l))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod strip_tests {
    #[test]
    fn yosys_023_hierarchy_lines_are_dropped() {
        let t = "{\n \"modules\": {\n },\n       rxdsp_eq_dfe                  1\n       rxdsp_eq_ffe 1\n \"x\": 2\n}";
        let c = super::strip_hierarchy_table(t);
        assert!(!c.contains("rxdsp_eq_dfe"));
        assert!(c.contains("\"x\": 2"));
    }
}

impl Stat {
    /// Parse the text of Yosys' `stat -json`.
    ///
    /// Yosys 0.23 (Debian 12) prints the plain-text hierarchy table (lines of
    /// `name count`) into the middle of the JSON when the design has more than
    /// two levels; those lines are dropped before parsing.
    pub fn parse(text: &str, what: &str) -> Result<Stat, SynthError> {
        let cleaned = strip_hierarchy_table(text);
        let raw: RawStat = serde_json::from_str(&cleaned).map_err(|e| SynthError::Parse {
            what: what.to_string(),
            detail: e.to_string(),
        })?;
        let modules = raw
            .modules
            .into_iter()
            .map(|(name, m)| {
                let cells = m
                    .num_cells_by_type
                    .into_iter()
                    .map(|(t, n)| (unescape(&t).to_string(), n))
                    .collect();
                (unescape(&name).to_string(), cells)
            })
            .collect();
        Ok(Stat { modules })
    }

    /// All primitive cells of one instance of `module`, its sub-modules' cells included.
    pub fn total_cells(&self, module: &str) -> CellCounts {
        let mut memo = HashMap::new();
        self.total_rec(unescape(module), &mut memo, 0)
    }

    fn total_rec(
        &self,
        module: &str,
        memo: &mut HashMap<String, CellCounts>,
        depth: usize,
    ) -> CellCounts {
        if let Some(c) = memo.get(module) {
            return c.clone();
        }
        let mut out = CellCounts::new();
        if let Some(cells) = self.modules.get(module) {
            for (ty, &n) in cells {
                if self.modules.contains_key(ty.as_str()) && depth < 64 {
                    for (t, m) in self.total_rec(ty, memo, depth + 1) {
                        *out.entry(t).or_default() += m * n;
                    }
                } else {
                    *out.entry(ty.clone()).or_default() += n;
                }
            }
        }
        memo.insert(module.to_string(), out.clone());
        out
    }

    /// How many times each module is instantiated under `top` (the top counts once).
    pub fn instance_counts(&self, top: &str) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        self.count_rec(unescape(top), 1, &mut out, 0);
        out
    }

    fn count_rec(&self, module: &str, mult: u64, out: &mut BTreeMap<String, u64>, depth: usize) {
        *out.entry(module.to_string()).or_default() += mult;
        if depth >= 64 {
            return;
        }
        if let Some(cells) = self.modules.get(module) {
            for (ty, &n) in cells {
                if self.modules.contains_key(ty.as_str()) {
                    self.count_rec(ty, mult * n, out, depth + 1);
                }
            }
        }
    }

    /// The modules whose name or source-level name is `name`.
    pub fn modules_named(&self, name: &str) -> Vec<&str> {
        self.modules
            .keys()
            .filter(|m| m.as_str() == name || base_module_name(m) == name)
            .map(|m| m.as_str())
            .collect()
    }
}

/// Add `b` times `k` into `a`.
pub(crate) fn add_cells(a: &mut CellCounts, b: &CellCounts, k: u64) {
    for (t, n) in b {
        *a.entry(t.clone()).or_default() += n * k;
    }
}

#[derive(Deserialize)]
struct RawNetlist {
    modules: BTreeMap<String, RawNetModule>,
}

#[derive(Deserialize)]
struct RawNetModule {
    #[serde(default)]
    cells: BTreeMap<String, RawCell>,
}

#[derive(Deserialize)]
struct RawCell {
    #[serde(rename = "type")]
    ty: String,
}

/// The instance tree of a hierarchical Yosys JSON netlist: for each module, its
/// instances of other modules (instance name to module name), primitives left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hierarchy {
    /// Module name to (instance name, module name) of its sub-module instances.
    pub children: BTreeMap<String, Vec<(String, String)>>,
}

impl Hierarchy {
    /// Parse a Yosys `write_json` netlist, keeping only sub-module instances.
    pub fn parse(text: &str, what: &str) -> Result<Hierarchy, SynthError> {
        let raw: RawNetlist = serde_json::from_str(text).map_err(|e| SynthError::Parse {
            what: what.to_string(),
            detail: e.to_string(),
        })?;
        let names: Vec<String> = raw
            .modules
            .keys()
            .map(|m| unescape(m).to_string())
            .collect();
        let mut children = BTreeMap::new();
        for (m, module) in &raw.modules {
            let kids = module
                .cells
                .iter()
                .filter(|(_, c)| names.iter().any(|n| n == unescape(&c.ty)))
                .map(|(inst, c)| (unescape(inst).to_string(), unescape(&c.ty).to_string()))
                .collect();
            children.insert(unescape(m).to_string(), kids);
        }
        Ok(Hierarchy { children })
    }

    /// Resolve an instance name: an instance name anywhere in the design (Yosys'
    /// generate-block names such as `g_tap[0].u_mul` included), else a dotted path
    /// from the top (`u_eq.u_ffe`). Returns (module, number of such instances in
    /// the design) pairs, given the per-module instance counts.
    pub fn resolve(
        &self,
        top: &str,
        name: &str,
        counts: &BTreeMap<String, u64>,
    ) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        for (parent, kids) in &self.children {
            let mult = counts.get(parent).copied().unwrap_or(0);
            for (inst, m) in kids {
                if inst == name && mult > 0 {
                    out.push((m.clone(), mult));
                }
            }
        }
        if out.is_empty() && name.contains('.') {
            let mut module = unescape(top).to_string();
            for part in name.split('.') {
                match self
                    .children
                    .get(&module)
                    .and_then(|k| k.iter().find(|(i, _)| i == part))
                {
                    Some((_, m)) => module = m.clone(),
                    None => return Vec::new(),
                }
            }
            out.push((module, 1));
        }
        out
    }
}

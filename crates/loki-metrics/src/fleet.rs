//! Several `.loki` directories in one exposition: a [`Fleet`].
//!
//! The directories come from repeated directories, Loki Mode's project
//! registry (`~/.loki/dashboard/projects.json`) or a glob, re-discovered at
//! most once per cache TTL and whenever the registry file changes. Every
//! project keeps its own incremental [`Collector`]; the fleet's exposition
//! has each family once, its samples grouped, every sample labelled
//! `project="<name>"`.
//!
//! A project is named by the registry's `alias`, else its `name`, else
//! `loki_session_info`'s `project` (`dashboard-state.json` `project.name`),
//! else the name of the directory holding `.loki`; names are made unique by
//! adding `-2`, `-3`, ... in the order of the directories' paths.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::sources::file::{self, FileKey, OpenError};
use crate::{families, view, Collector, Format, MetricFamily, Options, Snapshot, Value};

/// The label every sample of a fleet carries.
pub const PROJECT_LABEL: &str = "project";
/// The largest registry file read (Loki Mode's holds a few hundred bytes per project).
pub const REGISTRY_SIZE_CAP: u64 = 16 * 1024 * 1024;
/// The most projects a fleet serves; more are left out with a warning.
pub const MAX_PROJECTS: usize = 10_000;

/// Where a fleet's directories come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectSource {
    /// One `.loki` directory.
    Dir(PathBuf),
    /// Loki Mode's project registry (`projects.json`): each project's
    /// `path` holds its `.loki`.
    Registry(PathBuf),
    /// A glob of `.loki` directories, e.g. `/home/dev/*/.loki`.
    Glob(String),
}

/// Loki Mode's registry in the user's home: `~/.loki/dashboard/projects.json`.
pub fn default_registry_path() -> Option<PathBuf> {
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".loki/dashboard/projects.json"))
}

/// One directory found, with the name its source gives it, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectSpec {
    /// The `.loki` directory.
    pub loki_dir: PathBuf,
    /// The registry's `alias`, else its `name`.
    pub name: Option<String>,
}

/// The directories `sources` name today, each once (the first mention
/// wins), and a warning for each problem met (a missing or bad registry, a
/// bad glob, a registry entry without a usable path).
pub fn discover(sources: &[ProjectSource]) -> (Vec<ProjectSpec>, Vec<String>) {
    let mut specs: Vec<ProjectSpec> = Vec::new();
    let mut warnings = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut add = |spec: ProjectSpec, specs: &mut Vec<ProjectSpec>| {
        let key = std::path::absolute(&spec.loki_dir).unwrap_or_else(|_| spec.loki_dir.clone());
        if seen.insert(key) {
            specs.push(spec);
        }
    };
    for source in sources {
        match source {
            ProjectSource::Dir(dir) => add(ProjectSpec { loki_dir: dir.clone(), name: None }, &mut specs),
            ProjectSource::Registry(path) => match read_registry(path) {
                Ok((found, problems)) => {
                    warnings.extend(problems.into_iter().map(|p| format!("{}: {p}", path.display())));
                    for spec in found {
                        add(spec, &mut specs);
                    }
                }
                Err(why) => warnings.push(format!("{}: {why}; its projects are not served", path.display())),
            },
            ProjectSource::Glob(pattern) => match glob::glob(pattern) {
                Ok(paths) => {
                    let mut found: Vec<PathBuf> = paths.filter_map(Result::ok).filter(|p| p.is_dir()).collect();
                    found.sort();
                    if found.is_empty() {
                        warnings.push(format!("{pattern}: no directory matches"));
                    }
                    for dir in found {
                        add(ProjectSpec { loki_dir: dir, name: None }, &mut specs);
                    }
                }
                Err(e) => warnings.push(format!("{pattern}: not a valid glob: {e}")),
            },
        }
    }
    if specs.len() > MAX_PROJECTS {
        warnings.push(format!("{} projects found; only the first {MAX_PROJECTS} are served", specs.len()));
        specs.truncate(MAX_PROJECTS);
    }
    (specs, warnings)
}

/// The projects of Loki Mode's registry: `{"projects": {"<id>": {"path":
/// ..., "name": ..., "alias": ...}}}`. `Err` when the file as a whole is
/// unusable; problems with single entries come back as messages.
fn read_registry(path: &Path) -> Result<(Vec<ProjectSpec>, Vec<String>), String> {
    let (handle, meta) = match file::open_regular(path) {
        Ok(opened) => opened,
        Err(OpenError::Missing) => return Err("does not exist".to_owned()),
        Err(OpenError::Unusable(why)) => return Err(why),
    };
    let bytes = file::read_capped(handle, &meta, REGISTRY_SIZE_CAP)?;
    let doc: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| format!("is not JSON ({e})"))?;
    let Some(projects) = doc.get("projects") else {
        return Err("has no \"projects\" object".to_owned());
    };
    let entries: Vec<(String, &serde_json::Value)> = match projects {
        serde_json::Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v)).collect(),
        // Tolerated: a list of project objects.
        serde_json::Value::Array(list) => list.iter().enumerate().map(|(i, v)| (format!("#{i}"), v)).collect(),
        _ => return Err("\"projects\" is neither an object nor an array".to_owned()),
    };
    let mut specs = Vec::new();
    let mut problems = Vec::new();
    let text = |v: &serde_json::Value, key: &str| {
        v.get(key).and_then(serde_json::Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
    };
    for (id, entry) in entries {
        let Some(project_dir) = text(entry, "path") else {
            problems.push(format!("project {id:?} has no usable \"path\"; skipped"));
            continue;
        };
        let name = text(entry, "alias").or_else(|| text(entry, "name"));
        specs.push(ProjectSpec { loki_dir: Path::new(&project_dir).join(".loki"), name });
    }
    Ok((specs, problems))
}

/// One project of a fleet's collection.
#[derive(Debug, Clone)]
pub struct ProjectSnapshot {
    /// Its unique name: the value of its `project` label.
    pub name: String,
    /// Its `.loki` directory.
    pub loki_dir: PathBuf,
    /// Its snapshot (shared with its collector's cache).
    pub snapshot: Arc<Snapshot>,
}

/// A fleet's collection: every project, sorted by name, and the problems of
/// finding them.
#[derive(Debug, Clone, Default)]
pub struct FleetSnapshot {
    /// The projects, sorted by name.
    pub projects: Vec<ProjectSnapshot>,
    /// Problems with the registry or the glob.
    pub warnings: Vec<String>,
}

/// What the fleet knows of a project's changes: set by [`Fleet::mark_changed`]
/// (from filesystem notifications) and read by its collections.
#[derive(Debug)]
struct Tracking {
    /// Something under the directory changed since its last collection.
    dirty: AtomicBool,
    /// Notifications cover the directory (else it is read every TTL).
    watched: AtomicBool,
}

/// A project being served.
#[derive(Debug)]
struct Project {
    spec: ProjectSpec,
    collector: Arc<Collector>,
    tracking: Arc<Tracking>,
    /// Its last snapshot and when it was taken.
    last: Option<(Arc<Snapshot>, Instant)>,
    /// A fraction of the backstop added to its first one, so the periodic
    /// full checks of many projects do not all fall on one scrape.
    stagger: f64,
}

#[derive(Debug, Default)]
struct Discovered {
    projects: Vec<Project>,
    warnings: Vec<String>,
    at: Option<Instant>,
    /// The registry files' identities when last read.
    registries: Vec<Option<FileKey>>,
    /// Bumped when the set of directories changes.
    generation: u64,
    /// The last collection and when it finished.
    latest: Option<(FleetSnapshot, Instant)>,
    /// Projects read by the last collection (for [`Fleet::stats`]).
    last_read: usize,
}

/// The encodings of one collection, reused while no project's snapshot changed.
#[derive(Debug, Default)]
struct Rendered {
    snapshots: Vec<Arc<Snapshot>>,
    texts: [Option<Arc<str>>; 3],
}

/// Counts of a fleet's work, for the exporter's own metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FleetStats {
    /// Projects served.
    pub projects: usize,
    /// Of those, the ones filesystem notifications cover.
    pub watched: usize,
    /// Projects read by the last collection (the others were unchanged).
    pub last_read: usize,
}

/// Several `.loki` directories served as one: see the [module](self).
///
/// A collection is cached for the TTL, one at a time however many callers
/// ask. With [`track_changes`](Fleet::track_changes), a collection reads
/// only the projects that changed ([`mark_changed`](Fleet::mark_changed)),
/// that notifications do not cover, or whose periodic full check is due;
/// the others keep their last snapshot.
pub struct Fleet {
    sources: Vec<ProjectSource>,
    template: Options,
    ttl: Duration,
    /// `Some(backstop)` when notifications mark changes: an unchanged project
    /// is still read once per backstop.
    backstop: Option<Duration>,
    /// One directory served as before fleets: no `project` label.
    single: Option<Arc<Collector>>,
    discovered: Mutex<Discovered>,
    rendered: Mutex<Rendered>,
    /// The exporter's own families beyond the snapshots' (with exporter
    /// metrics on): remote write's counters, say. See [`Fleet::add_families`].
    extras: Mutex<Vec<FamilySource>>,
}

/// Families computed when the exposition is rendered (see [`Fleet::add_families`]).
pub type FamilySource = Box<dyn Fn() -> Vec<MetricFamily<'static, Value>> + Send + Sync>;

/// `loki_exporter_projects`: projects an exporter serves (several projects only).
pub const EXPORTER_PROJECTS: families::Family = families::Family {
    name: "loki_exporter_projects",
    metric_type: crate::MetricType::Gauge,
    help: "Projects this exporter serves",
    unit: None,
    labels: &[],
    source: "the exporter (--projects, --loki-dirs, several --loki-dir)",
    group: families::Group::Exporter,
    series: families::Series::Single,
    fallback: Value::Int(0),
    json: families::Json::Derived,
};

/// `loki_exporter_projects_watched`: projects file notifications cover.
pub const EXPORTER_PROJECTS_WATCHED: families::Family = families::Family {
    name: "loki_exporter_projects_watched",
    help: "Projects whose .loki file notifications cover (the others are read every cache TTL)",
    ..EXPORTER_PROJECTS
};

/// `loki_exporter_projects_read`: projects the last collection read.
pub const EXPORTER_PROJECTS_READ: families::Family = families::Family {
    name: "loki_exporter_projects_read",
    help: "Projects the last collection read (the others were unchanged)",
    ..EXPORTER_PROJECTS
};

impl std::fmt::Debug for FamilySourceList<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} family sources", self.0.len())
    }
}

/// Debug for the extras.
struct FamilySourceList<'a>(&'a [FamilySource]);

impl std::fmt::Debug for Fleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fleet")
            .field("sources", &self.sources)
            .field("ttl", &self.ttl)
            .field("backstop", &self.backstop)
            .field("single", &self.single.is_some())
            .field("extras", &FamilySourceList(&lock(&self.extras)))
            .finish_non_exhaustive()
    }
}

fn registry_keys(sources: &[ProjectSource]) -> Vec<Option<FileKey>> {
    sources
        .iter()
        .filter_map(|s| match s {
            ProjectSource::Registry(path) => Some(file::stat(path).ok().map(|m| FileKey::of(&m))),
            _ => None,
        })
        .collect()
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A number in `0..1` from `path`, the same on every run.
fn stagger_of(path: &Path) -> f64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    path.hash(&mut h);
    (h.finish() % 1000) as f64 / 1000.0
}

impl Fleet {
    /// A fleet of the directories `sources` name, each read with `options`
    /// (whose `loki_dir` is replaced by each project's), collections cached
    /// for `ttl`.
    pub fn new(sources: Vec<ProjectSource>, options: Options, ttl: Duration) -> Self {
        Fleet {
            sources,
            template: options,
            ttl,
            backstop: None,
            single: None,
            discovered: Mutex::default(),
            rendered: Mutex::default(),
            extras: Mutex::default(),
        }
    }

    /// Adds families the exposition carries after the projects' when
    /// exporter metrics are on (the options' `exporter_metrics`), computed
    /// at each rendering: an exporter's own state, such as remote write's
    /// counters. Not in the JSON encoding.
    pub fn add_families(&self, source: FamilySource) {
        lock(&self.extras).push(source);
    }

    /// The exporter's own families now: the fleet's counts (several
    /// projects only) and those of [`add_families`](Fleet::add_families).
    fn extra_families(&self) -> Vec<MetricFamily<'static, Value>> {
        if !self.template.exporter_metrics {
            return Vec::new();
        }
        let mut out = Vec::new();
        if self.single.is_none() {
            let stats = self.stats();
            for (family, value) in [
                (&EXPORTER_PROJECTS, stats.projects),
                (&EXPORTER_PROJECTS_WATCHED, stats.watched),
                (&EXPORTER_PROJECTS_READ, stats.last_read),
            ] {
                let mut f = family.to_metric_family();
                f.samples = vec![family.sample(Vec::new(), Value::Int(value as u64))];
                out.push(f);
            }
        }
        for source in lock(&self.extras).iter() {
            out.extend(source());
        }
        out
    }

    /// The one directory of `options`, served exactly as a [`Collector`]
    /// serves it: its exposition has no `project` label.
    pub fn single(options: Options, ttl: Duration) -> Self {
        let collector = Arc::new(Collector::new(options.clone(), ttl));
        Fleet {
            single: Some(collector),
            ..Fleet::new(vec![ProjectSource::Dir(options.loki_dir.clone())], options, ttl)
        }
    }

    /// From now on, a project is read again only when
    /// [`mark_changed`](Fleet::mark_changed) names a path under it, when it
    /// is not [`watched`](Fleet::set_watched), or `backstop` after its last
    /// read (a full check, for filesystems that drop notifications, and for
    /// what changes without a write: a process ending, the uptime).
    pub fn track_changes(mut self, backstop: Duration) -> Self {
        self.backstop = Some(backstop);
        self
    }

    /// The collector of a [`single`](Fleet::single) fleet.
    pub fn single_collector(&self) -> Option<&Arc<Collector>> {
        self.single.as_ref()
    }

    /// The options each project is read with (but its directory).
    pub fn options(&self) -> &Options {
        &self.template
    }

    /// How long a collection is served before the projects are looked at again.
    pub fn cache_ttl(&self) -> Duration {
        self.ttl
    }

    /// Where the projects come from.
    pub fn sources(&self) -> &[ProjectSource] {
        &self.sources
    }

    /// The directories served (after the last discovery) and the discovery's
    /// generation, which changes when they do: what a watcher watches.
    pub fn loki_dirs(&self) -> (Vec<PathBuf>, u64) {
        let d = lock(&self.discovered);
        (d.projects.iter().map(|p| p.spec.loki_dir.clone()).collect(), d.generation)
    }

    /// Marks the project holding `path` (a `.loki` directory or anything
    /// under it) as changed: its next collection reads it.
    pub fn mark_changed(&self, path: &Path) {
        let d = lock(&self.discovered);
        for p in &d.projects {
            if path.starts_with(&p.spec.loki_dir) {
                p.tracking.dirty.store(true, Ordering::Release);
            }
        }
    }

    /// Whether notifications cover `loki_dir` (set by the watcher; a
    /// directory not watched is read every TTL).
    pub fn set_watched(&self, loki_dir: &Path, watched: bool) {
        let d = lock(&self.discovered);
        for p in d.projects.iter().filter(|p| p.spec.loki_dir == loki_dir) {
            p.tracking.watched.store(watched, Ordering::Release);
            p.tracking.dirty.store(true, Ordering::Release);
        }
    }

    /// Counts of the fleet's work.
    pub fn stats(&self) -> FleetStats {
        let d = lock(&self.discovered);
        FleetStats {
            projects: d.projects.len(),
            watched: d.projects.iter().filter(|p| p.tracking.watched.load(Ordering::Acquire)).count(),
            last_read: d.last_read,
        }
    }

    /// The rendering in `format` if it can be had without reading a
    /// directory (a single fleet's fresh cache); `None` otherwise.
    pub fn render_if_fresh(&self, format: Format) -> Option<Arc<str>> {
        if self.template.exporter_metrics && !lock(&self.extras).is_empty() {
            return None;
        }
        self.single.as_ref()?.render_if_fresh(format)
    }

    /// One project in `format`, labelled with its name as in the fleet's
    /// exposition (a single fleet's without the label); `None` if no project
    /// has that name.
    pub fn render_project(&self, name: &str, format: Format) -> Option<String> {
        let fleet = self.collect();
        let project = fleet.projects.into_iter().find(|p| p.name == name)?;
        Some(match &self.single {
            Some(_) => crate::render(&project.snapshot, format),
            None => render_projects(std::slice::from_ref(&project), format),
        })
    }

    /// Re-discovers the projects if the TTL passed or a registry file
    /// changed, keeping the collectors (and their incremental state) of the
    /// directories still named.
    fn rediscover(&self, d: &mut Discovered) {
        let keys = registry_keys(&self.sources);
        let due = d.at.is_none_or(|at| at.elapsed() >= self.ttl) || keys != d.registries;
        if !due {
            return;
        }
        let (specs, warnings) = discover(&self.sources);
        let before: Vec<PathBuf> = d.projects.iter().map(|p| p.spec.loki_dir.clone()).collect();
        let mut old: HashMap<PathBuf, Project> = d.projects.drain(..).map(|p| (p.spec.loki_dir.clone(), p)).collect();
        d.projects = specs
            .into_iter()
            .map(|spec| match old.remove(&spec.loki_dir) {
                Some(project) => Project { spec, ..project },
                None => {
                    let options = Options { loki_dir: spec.loki_dir.clone(), ..self.template.clone() };
                    Project {
                        stagger: stagger_of(&spec.loki_dir),
                        spec,
                        // The fleet caches; each project is read when the fleet says.
                        collector: Arc::new(Collector::new(options, Duration::ZERO)),
                        tracking: Arc::new(Tracking { dirty: AtomicBool::new(true), watched: AtomicBool::new(false) }),
                        last: None,
                    }
                }
            })
            .collect();
        if d.projects.iter().map(|p| &p.spec.loki_dir).ne(before.iter()) {
            d.generation += 1;
        }
        d.warnings = warnings;
        d.at = Some(Instant::now());
        d.registries = keys;
    }

    /// The projects' snapshots (each from its cache while fresh, or unchanged),
    /// named and sorted by name. One collection at a time: callers arriving
    /// while one runs wait for it.
    pub fn collect(&self) -> FleetSnapshot {
        if let Some(collector) = &self.single {
            let snapshot = collector.collect();
            let loki_dir = self.template.loki_dir.clone();
            let name = view::project_name(&loki_dir, &snapshot);
            return FleetSnapshot {
                projects: vec![ProjectSnapshot { name, loki_dir, snapshot }],
                warnings: Vec::new(),
            };
        }
        let mut d = lock(&self.discovered);
        if let Some((latest, at)) = &d.latest {
            if !self.ttl.is_zero() && at.elapsed() < self.ttl {
                return latest.clone();
            }
        }
        self.rediscover(&mut d);
        let mut read = 0;
        let backstop = self.backstop;
        let mut projects: Vec<ProjectSnapshot> = d
            .projects
            .iter_mut()
            .map(|p| {
                let tracked = backstop.is_some() && p.tracking.watched.load(Ordering::Acquire);
                // The first full check comes up to half a backstop late, by
                // project: checks spread instead of all falling on one scrape.
                let due = match (&p.last, backstop) {
                    (Some((_, at)), Some(backstop)) => at.elapsed() >= backstop.mul_f64(1.0 + p.stagger / 2.0),
                    _ => true,
                };
                // Cleared before reading: a change during the read marks it again.
                let changed = p.tracking.dirty.swap(false, Ordering::AcqRel);
                let snapshot = match &p.last {
                    Some((snapshot, _)) if tracked && !changed && !due => Arc::clone(snapshot),
                    _ => {
                        read += 1;
                        let snapshot = p.collector.collect();
                        if due && p.last.is_some() {
                            p.stagger = 0.0;
                        }
                        p.last = Some((Arc::clone(&snapshot), Instant::now()));
                        snapshot
                    }
                };
                let name = p.spec.name.clone().unwrap_or_else(|| view::project_name(&p.spec.loki_dir, &snapshot));
                ProjectSnapshot { name, loki_dir: p.spec.loki_dir.clone(), snapshot }
            })
            .collect();
        make_unique(&mut projects);
        projects.sort_by(|a, b| a.name.cmp(&b.name));
        let fleet = FleetSnapshot { projects, warnings: d.warnings.clone() };
        d.latest = Some((fleet.clone(), Instant::now()));
        d.last_read = read;
        fleet
    }

    /// The families of one collection, as the exposition has them (a single
    /// fleet's as its collector collects them; else [`merge_families`]).
    pub fn families(&self) -> Vec<MetricFamily<'static, Value>> {
        match &self.single {
            Some(collector) => collector.collect().families().to_vec(),
            None => merge_families(&self.collect().projects),
        }
    }

    /// The fleet's exposition in `format`, every sample labelled with its
    /// project (a single fleet's as its collector renders it); reused while
    /// no project's snapshot changed.
    pub fn render(&self, format: Format) -> Arc<str> {
        let base = self.render_projects_cached(format);
        let Some(text) = format.text() else { return base };
        let extras = self.extra_families();
        if extras.is_empty() {
            return base;
        }
        // The families come after the projects', before OpenMetrics' `# EOF`.
        let mut out = String::with_capacity(base.len() + 256 * extras.len());
        out.push_str(base.strip_suffix("# EOF\n").unwrap_or(&base));
        crate::exposition::encode_into(&extras, text, &mut out);
        Arc::from(out)
    }

    fn render_projects_cached(&self, format: Format) -> Arc<str> {
        if let Some(collector) = &self.single {
            return collector.render(format);
        }
        let fleet = self.collect();
        let mut rendered = lock(&self.rendered);
        let same = rendered.snapshots.len() == fleet.projects.len()
            && rendered.snapshots.iter().zip(&fleet.projects).all(|(a, b)| Arc::ptr_eq(a, &b.snapshot));
        if !same {
            *rendered = Rendered {
                snapshots: fleet.projects.iter().map(|p| Arc::clone(&p.snapshot)).collect(),
                texts: Default::default(),
            };
        }
        let slot = &mut rendered.texts[format as usize];
        if let Some(text) = slot {
            return Arc::clone(text);
        }
        let text: Arc<str> = Arc::from(render_projects(&fleet.projects, format));
        *slot = Some(Arc::clone(&text));
        text
    }
}

/// Adds `-2`, `-3`, ... to names met before, in the order of the directories' paths.
fn make_unique(projects: &mut [ProjectSnapshot]) {
    projects.sort_by(|a, b| a.loki_dir.cmp(&b.loki_dir));
    let mut taken: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for p in projects.iter_mut() {
        if taken.insert(p.name.clone()) {
            continue;
        }
        let n = counts.entry(p.name.clone()).or_insert(1);
        loop {
            *n += 1;
            let candidate = format!("{}-{n}", p.name);
            if taken.insert(candidate.clone()) {
                p.name = candidate;
                break;
            }
        }
    }
}

/// Every family once, in catalogue order, with the samples of every project
/// (in the order given), each labelled `project="<name>"`. A sample's own
/// `project` label (`loki_session_info`'s) takes the project's name.
pub fn merge_families(projects: &[ProjectSnapshot]) -> Vec<MetricFamily<'static, Value>> {
    let Some(first) = projects.first() else {
        return families::group(families::Group::Default)
            .map(families::Family::to_metric_family)
            .map(|mut f| {
                f.samples.clear();
                f
            })
            .collect();
    };
    let mut merged: Vec<MetricFamily<'static, Value>> =
        first.snapshot.families().iter().map(|f| MetricFamily { samples: Vec::new(), ..f.clone() }).collect();
    for project in projects {
        for (i, family) in project.snapshot.families().iter().enumerate() {
            // Every snapshot has the catalogue's families in the same order.
            let target = match merged.get(i).filter(|m| m.name == family.name) {
                Some(_) => &mut merged[i],
                None => match merged.iter_mut().find(|m| m.name == family.name) {
                    Some(target) => target,
                    None => continue,
                },
            };
            for sample in &family.samples {
                let mut sample = sample.clone();
                sample.labels.retain(|(k, _)| k != PROJECT_LABEL);
                sample.labels.push((Cow::Borrowed(PROJECT_LABEL), Cow::Owned(project.name.clone())));
                target.samples.push(sample);
            }
        }
    }
    merged
}

#[derive(Serialize)]
struct FleetJson<'a> {
    projects: BTreeMap<&'a str, serde_json::Value>,
}

/// The projects in `format`: text with [`merge_families`]; JSON as
/// `{"projects": {"<name>": <the project's snapshot JSON>}}`.
pub fn render_projects(projects: &[ProjectSnapshot], format: Format) -> String {
    match format.text() {
        Some(text) => {
            let mut out = String::with_capacity(2048 * projects.len().max(1));
            crate::exposition::encode_into(&merge_families(projects), text, &mut out);
            out
        }
        None => {
            let json = FleetJson {
                projects: projects
                    .iter()
                    .map(|p| {
                        let value = serde_json::from_str(&p.snapshot.to_json()).unwrap_or(serde_json::Value::Null);
                        (p.name.as_str(), value)
                    })
                    .collect(),
            };
            let mut out = serde_json::to_string_pretty(&json).unwrap_or_else(|_| "{}".to_owned());
            out.push('\n');
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    #[test]
    fn the_registry_gives_each_path_a_loki_dir_and_a_name() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let registry = tmp.path().join("projects.json");
        write(
            &registry,
            r#"{"version":"1.0","projects":{
                "a":{"id":"a","path":"/home/dev/app","name":"app","alias":null,"status":"running","pid":4242},
                "b":{"id":"b","path":"/home/dev/api","name":"api","alias":"the-api"},
                "c":{"id":"c","name":"nowhere"},
                "d":{"id":"d","path":"/home/dev/app","name":"dup"}}}"#,
        );
        let (specs, warnings) = discover(&[ProjectSource::Registry(registry.clone())]);
        assert_eq!(
            specs,
            [
                ProjectSpec { loki_dir: "/home/dev/app/.loki".into(), name: Some("app".into()) },
                ProjectSpec { loki_dir: "/home/dev/api/.loki".into(), name: Some("the-api".into()) },
            ]
        );
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("project \"c\" has no usable \"path\""), "{warnings:?}");
    }

    #[test]
    fn a_bad_registry_is_a_warning_not_a_failure() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let registry = tmp.path().join("projects.json");
        let dir = tmp.path().join("one/.loki");
        std::fs::create_dir_all(&dir).expect("mkdir");
        for (text, expected) in [
            ("{not json", "is not JSON"),
            ("[]", "has no \"projects\" object"),
            ("{\"projects\": 3}", "neither an object nor an array"),
        ] {
            write(&registry, text);
            let (specs, warnings) =
                discover(&[ProjectSource::Registry(registry.clone()), ProjectSource::Dir(dir.clone())]);
            assert_eq!(specs.len(), 1, "the other sources still count");
            assert!(warnings.iter().any(|w| w.contains(expected)), "{text}: {warnings:?}");
        }
        let (_, warnings) = discover(&[ProjectSource::Registry(tmp.path().join("missing.json"))]);
        assert!(warnings[0].contains("does not exist"), "{warnings:?}");
    }

    #[test]
    fn a_glob_finds_directories_in_order() {
        let tmp = tempfile::tempdir().expect("tempdir");
        for name in ["b", "a", "c"] {
            std::fs::create_dir_all(tmp.path().join(name).join(".loki")).expect("mkdir");
        }
        write(&tmp.path().join("d/.loki"), "a file, not a directory");
        let pattern = format!("{}/*/.loki", tmp.path().display());
        let (specs, warnings) = discover(&[ProjectSource::Glob(pattern)]);
        let names: Vec<_> = specs.iter().map(|s| s.loki_dir.parent().and_then(Path::file_name)).collect();
        assert_eq!(names, [Some("a".as_ref()), Some("b".as_ref()), Some("c".as_ref())]);
        assert!(warnings.is_empty(), "{warnings:?}");
        let (_, warnings) = discover(&[ProjectSource::Glob("[".to_owned())]);
        assert!(warnings[0].contains("not a valid glob"), "{warnings:?}");
    }

    #[test]
    fn names_are_made_unique_in_path_order() {
        let snapshot = Arc::new(Snapshot::empty(1000));
        let p = |name: &str, dir: &str| ProjectSnapshot {
            name: name.to_owned(),
            loki_dir: dir.into(),
            snapshot: Arc::clone(&snapshot),
        };
        let mut projects =
            vec![p("app", "/z/app/.loki"), p("app", "/a/app/.loki"), p("app-2", "/m/.loki"), p("app", "/b/.loki")];
        make_unique(&mut projects);
        let names: Vec<(&str, &str)> =
            projects.iter().map(|p| (p.name.as_str(), p.loki_dir.to_str().unwrap_or(""))).collect();
        assert_eq!(
            names,
            [("app", "/a/app/.loki"), ("app-2", "/b/.loki"), ("app-2-2", "/m/.loki"), ("app-3", "/z/app/.loki")]
        );
    }

    #[test]
    fn every_family_appears_once_with_every_projects_samples_labelled() {
        let mut a = Snapshot::empty(1000);
        a.set_iteration_current(3);
        a.set(&families::SESSION_INFO, &[("version", "9.22.12"), ("project", "from-state")], 1u64);
        let mut b = Snapshot::empty(1000);
        b.set_iteration_current(5);
        let projects = vec![
            ProjectSnapshot { name: "a".into(), loki_dir: "/a/.loki".into(), snapshot: Arc::new(a) },
            ProjectSnapshot { name: "b".into(), loki_dir: "/b/.loki".into(), snapshot: Arc::new(b) },
        ];
        let text = render_projects(&projects, Format::Prometheus);
        assert_eq!(text.matches("# TYPE loki_iteration_current gauge\n").count(), 1, "{text}");
        assert!(
            text.contains("loki_iteration_current{project=\"a\"} 3\nloki_iteration_current{project=\"b\"} 5\n"),
            "{text}"
        );
        assert!(text.contains("loki_session_info{version=\"9.22.12\",project=\"a\"} 1\n"), "{text}");
        crate::parse::parse(&text, crate::parse::ParseFormat::Prometheus).expect("valid 0.0.4");
        let om = render_projects(&projects, Format::OpenMetrics);
        crate::parse::parse(&om, crate::parse::ParseFormat::OpenMetrics).expect("valid OpenMetrics");
        let json: serde_json::Value = serde_json::from_str(&render_projects(&projects, Format::Json)).expect("JSON");
        assert_eq!(json["projects"]["b"]["iteration_current"], 5);
    }
}

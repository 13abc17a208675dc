use super::*;

fn lane(name: &str, tree: &[&str], live: Option<Liveness>) -> LaneLiveness {
    LaneLiveness {
        liveness: live,
        ..LaneLiveness::free(name, tree)
    }
}

fn plan(lanes: Vec<LaneLiveness>, target: i64, policy: &SupervisePolicy) -> SuperviseVerdict {
    for l in &lanes {
        l.validate().unwrap();
    }
    supervise(&SuperviseEvidence { lanes, target }, policy)
}

fn names(v: &[LanePlan]) -> Vec<&str> {
    v.iter().map(|p| p.lane.as_str()).collect()
}

/// The C.6 roster at now=12:00 (api young, worker spinning 2 min, docs stalled).
fn roster() -> Vec<LaneLiveness> {
    let mut worker = lane("worker", &["src/worker/**"], Some(Liveness::Spinning));
    worker.spinning_age_ms = Some(120_000);
    let mut infra = lane("infra", &["**/*"], None);
    infra.is_exclusive = true;
    vec![
        lane("api", &["src/api/**"], Some(Liveness::Advancing)),
        worker,
        lane("docs", &["docs/**"], Some(Liveness::Stalled)),
        lane("overlap", &["src/**"], None),
        infra,
    ]
}

#[test]
#[allow(clippy::type_complexity)]
fn golden_roster_table() {
    let policy = SupervisePolicy {
        spin_halt_after_ms: Some(60_000),
        ..SupervisePolicy::default()
    };
    // (target, verdict, alive, admissible, spawn, reap, flag, halts)
    let table: &[(i64, &str, i64, i64, &[&str], &[&str], &[&str], &[&str])] = &[
        (3, "FILLING", 2, 3, &["docs"], &["docs"], &["worker"], &["worker"]),
        (
            5,
            "TARGET_UNREACHABLE",
            2,
            3,
            &["docs"],
            &["docs"],
            &["worker"],
            &["worker"],
        ),
        (2, "AT_TARGET", 2, 3, &[], &["docs"], &["worker"], &["worker"]),
        (
            1,
            "OVER_TARGET",
            2,
            3,
            &[],
            &["docs"],
            &["worker", "api"],
            &["worker"],
        ),
    ];
    for (target, verdict, alive, adm, spawn, reap, flag, halts) in table {
        let v = plan(roster(), *target, &policy);
        assert_eq!(v.verdict.name(), *verdict, "target {target}");
        assert_eq!((v.alive, v.admissible), (*alive, *adm), "target {target}");
        assert_eq!(names(&v.spawn), *spawn, "target {target}");
        assert_eq!(names(&v.reap), *reap);
        assert_eq!(names(&v.flag), *flag);
        assert_eq!(names(&v.proposed_halt), *halts);
    }
    let v = plan(roster(), 1, &policy);
    assert_eq!(
        v.flag[1].reason,
        "healthy worker beyond target 1 (alive 2) — flagged as excess; retiring it is an operator decision"
    );
    assert_eq!(v.proposed_halt[0].reason, "worker has been SPINNING for 120000ms (>= spin_halt_after_ms 60000) — PROPOSING a halt (advisory; the operator/driver enacts it, the kernel never kills a live worker)");
}

#[test]
fn admissible_table() {
    let mut excl = lane("g", &["**/*"], None);
    excl.is_exclusive = true;
    let mut rep = lane("auto", &[], None);
    rep.repeatable = true;
    let table: Vec<(Vec<LaneLiveness>, Option<i64>, i64)> = vec![
        (vec![], None, 0),
        (vec![excl.clone()], None, 1),
        (vec![lane("a", &[], None)], None, 1),
        (
            vec![lane("a", &["src/**"], None), lane("b", &["src/x/**"], None)],
            None,
            1,
        ),
        (
            vec![lane("a", &["src/**"], None), lane("b", &["docs/**"], None)],
            None,
            2,
        ),
        (vec![lane("a", &["src/**"], None), rep.clone()], Some(4), 4),
        (
            vec![lane("a", &["src/**"], None), lane("b", &["docs/**"], None)],
            Some(1),
            2,
        ),
        (
            vec![lane("a", &["src/**"], None), lane("b", &["docs/**"], None), rep],
            Some(1),
            2,
        ),
    ];
    for (lanes, mc, want) in table {
        assert_eq!(admissible(&lanes, mc), want, "{lanes:?} mc={mc:?}");
    }
}

#[test]
fn empty_roster_and_targets() {
    let p = SupervisePolicy::default();
    assert_eq!(plan(vec![], 0, &p).verdict, Outcome::AtTarget);
    let v = plan(vec![], 1, &p);
    assert_eq!((v.verdict, v.admissible), (Outcome::TargetUnreachable, 0));
}

#[test]
fn pending_spinning_and_stalled_rules() {
    let p = SupervisePolicy::default();
    // pending counts alive, holds its region, is never re-spawned
    let mut pend = lane("a", &["src/**"], None);
    pend.pending = true;
    let v = plan(
        vec![
            pend.clone(),
            lane("b", &["src/x/**"], None),
            lane("c", &["docs/**"], None),
        ],
        3,
        &p,
    );
    assert_eq!(v.alive, 1);
    assert_eq!(names(&v.spawn), ["c"]);
    // spinner not counted alive when configured so; halt threshold is >=
    let mut spin = lane("s", &["src/**"], Some(Liveness::Spinning));
    spin.spinning_age_ms = Some(500);
    let no_count = SupervisePolicy {
        count_spinning_as_alive: false,
        spin_halt_after_ms: Some(500),
        ..SupervisePolicy::default()
    };
    let v = plan(vec![spin.clone()], 1, &no_count);
    assert_eq!((v.alive, names(&v.proposed_halt)), (0, vec!["s"]));
    spin.spinning_age_ms = None;
    assert!(plan(vec![spin], 1, &no_count).proposed_halt.is_empty());
    // stalled: reap + refill, or report-only
    let stalled = || vec![lane("d", &["docs/**"], Some(Liveness::Stalled))];
    let v = plan(stalled(), 1, &p);
    assert_eq!((names(&v.reap), names(&v.spawn)), (vec!["d"], vec!["d"]));
    let keep = SupervisePolicy {
        reap_stalled: false,
        ..SupervisePolicy::default()
    };
    let v = plan(stalled(), 1, &keep);
    assert!(v.reap.is_empty() && v.spawn.is_empty());
}

#[test]
fn spawn_walk_order_and_repeatable_fill() {
    let mut rep = lane("main", &["**/*"], None);
    rep.repeatable = true;
    let mut excl = lane("global", &["**/*"], None);
    excl.is_exclusive = true;
    let p = SupervisePolicy {
        max_concurrency: Some(3),
        ..SupervisePolicy::default()
    };
    let v = plan(vec![rep.clone(), excl.clone()], 3, &p);
    assert_eq!(names(&v.spawn), ["main", "main", "main"]);
    assert!(v.spawn[0].reason.contains("max_concurrency 3"));
    // fixed lanes before repeatable ones; exclusive only when nothing else fits
    let v = plan(vec![rep, lane("docs", &["docs/**"], None), excl.clone()], 2, &p);
    assert_eq!(names(&v.spawn), ["docs", "main"]);
    let v = plan(vec![excl], 1, &SupervisePolicy::default());
    assert_eq!(names(&v.spawn), ["global"]);
    // a candidate colliding with a held region is skipped → AT_TARGET under target (reference quirk kept)
    let v = plan(
        vec![
            lane("b", &["a/b/**"], None),
            lane("a", &["a/**"], Some(Liveness::Advancing)),
            lane("c", &["a/c/**"], None),
        ],
        2,
        &SupervisePolicy::default(),
    );
    assert_eq!((v.verdict, v.alive, v.admissible), (Outcome::AtTarget, 1, 2));
}

#[test]
fn json_shape() {
    let v = plan(
        vec![lane("main", &["**/*"], None)],
        1,
        &SupervisePolicy::default(),
    );
    let m = v.to_map();
    let keys: Vec<&str> = m.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "verdict",
            "reason",
            "alive",
            "admissible",
            "target",
            "spawn",
            "reap",
            "flag",
            "proposed_halt",
            "evidence"
        ]
    );
}

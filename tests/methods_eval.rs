//! The non-compensatory aggregations (`mazziotta_pareto`, `copeland`, `copeland sum`, `grey`)
//! and `weights pca` through the whole pipeline, on `tests/fixtures/methods/methods.qi`.
//!
//! Expected values: numpy 2.4.6 on the CSV columns (the fixture uses `normalise none`, so the
//! children's values are the data). The script, for the aggregations over x1, x4, x6 with weights
//! 0.5, 0.3, 0.2:
//! - MPI: Z = 100 + 10·(X − X.mean(0))/X.std(0, ddof=1); M = Z@w;
//!   S = √(((Z − M)²)@w); M − S²/M;
//! - Copeland: for each pair, up = w[X[a] > X[b]].sum(), dn = w[X[a] < X[b]].sum(); classic
//!   Σ sign(up − dn) → 100·(s + 11)/22; sum Σ (up + ½(1 − up − dn)) → 100·s/11;
//! - grey 0.5: D = X.max(0) − X; ξ = (D.min() + ½D.max())/(D + ½D.max()); 100·ξ@w;
//! - PCA: `np.corrcoef`, `np.linalg.eigh`, components with λ > 1 and λ/p ≥ 0.1, loadings
//!   V·√λ, varimax (R's algorithm, Kaiser normalisation), squared loadings on each child's
//!   factor scaled by the factor's explained variance and weighted by its share, normalised;
//!   for `pm` over the 11 units with x7 present (D left out).

use qindex::eval::{self, DataOptions, EvalOptions};
use std::path::Path;

const TOL: f64 = 1e-9;

#[test]
fn methods_fixture_against_numpy() {
    let (program, _) = qindex::check::load(Path::new("tests/fixtures/methods/methods.qi")).unwrap();
    let (plan, _) = qindex::check::compile(&program, "default").unwrap();
    let opts = DataOptions::default();
    let (frame, _) =
        eval::load_data(&plan, &eval::data_path(&plan, &opts).unwrap(), &opts).unwrap();
    let results = eval::evaluate(&plan, &frame, &EvalOptions::default()).unwrap();
    let p = &results.periods[0];
    let units: Vec<&str> = (0..p.len()).map(|i| frame.units().get(p.rows[i])).collect();
    assert_eq!(
        units,
        "ABCDEFGHIJKL"
            .split("")
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
    );
    let node = |id: &str| plan.find(id).unwrap_or_else(|| panic!("no node {id}"));
    let values = |id: &str| p.values(node(id)).into_owned();
    let check = |what: &str, got: &[f64], expected: &[f64]| {
        assert_eq!(got.len(), expected.len(), "{what}");
        for (k, (g, e)) in got.iter().zip(expected).enumerate() {
            assert!((g - e).abs() < TOL, "{what}[{k}]: got {g}, expected {e}");
        }
    };

    check(
        "mazziotta_pareto",
        &values("mp"),
        &[
            106.18354348361906,
            99.01302227140829,
            97.42733934906929,
            97.42066307309354,
            96.16574327337932,
            95.98959588165883,
            93.49392467498913,
            110.70208008134662,
            86.94974247507606,
            98.49104098066093,
            104.9494743535175,
            107.16050118923881,
        ],
    );
    // Classic Copeland: wins − losses among 12 units (numpy; they sum to 0), −11..11 onto
    // 0..100.
    let classic = [
        5.0, 1.0, -4.0, -8.0, -1.0, -4.0, -4.0, 10.0, -7.0, 0.0, 4.0, 8.0,
    ];
    let classic: Vec<f64> = classic.iter().map(|s| 100.0 * (s + 11.0) / 22.0).collect();
    check("copeland", &values("cp"), &classic);
    check(
        "copeland sum",
        &values("cs"),
        &[
            72.72727272727272,
            52.27272727272727,
            39.99999999999999,
            35.454545454545446,
            41.81818181818182,
            34.54545454545455,
            33.63636363636363,
            81.81818181818181,
            18.181818181818183,
            49.09090909090909,
            62.27272727272727,
            78.18181818181819,
        ],
    );
    check(
        "grey 0.5",
        &values("gr"),
        &[
            65.2857731522322,
            51.29581993569131,
            54.10215344691151,
            58.881496007844234,
            46.42075243391033,
            48.011441647597245,
            42.935267456382206,
            81.97368421052632,
            37.23061655103354,
            52.858773360090304,
            63.476190476190474,
            66.84573829531813,
        ],
    );

    let weights =
        |ids: &[&str]| -> Vec<f64> { ids.iter().map(|id| p.weights[node(id).index()]).collect() };
    check(
        "pca",
        &weights(&["pc1", "pc2", "pc3", "pc4", "pc5", "pc6"]),
        &[
            0.18922921468172169,
            0.17565808399256616,
            0.1601856739197075,
            0.17172482176218126,
            0.17484398323709724,
            0.128358222406726,
        ],
    );
    check(
        "pca unrotated",
        &weights(&["pu1", "pu2", "pu3", "pu4", "pu5", "pu6"]),
        &[
            0.1743441326612154,
            0.20074192309733688,
            0.1842596633663217,
            0.13184201954676117,
            0.13751109982536855,
            0.17130116150299624,
        ],
    );
    let pm = weights(&["pm1", "pm2", "pm3", "pm4", "pm5", "pm7"]);
    check(
        "pca over complete units",
        &pm,
        &[
            0.1784398866810225,
            0.1742944522207106,
            0.15447638851799905,
            0.17283935177230014,
            0.179439543668038,
            0.14051037713992975,
        ],
    );
    // The group score is the weighted mean of the children (arithmetic), D without x7.
    let d = 3;
    let present: f64 = pm[..5].iter().sum();
    let expected_d: f64 = ["pm1", "pm2", "pm3", "pm4", "pm5"]
        .iter()
        .zip(&pm)
        .map(|(id, w)| w * values(id)[d])
        .sum::<f64>()
        / present;
    check("pm of D", &[values("pm")[d]], &[expected_d]);

    let warned = |code: &str, node: &str| {
        results
            .warnings
            .iter()
            .find(|w| w.code == code && w.node.as_deref() == Some(node))
    };
    let incomplete = warned("pca-incomplete", "pm").expect("a warning about unit D");
    assert!(
        incomplete.message.ends_with("left out: D"),
        "{}",
        incomplete.message
    );
    for g in ["cp", "cs", "gr"] {
        assert!(warned("rank-reversal", g).is_some(), "rank reversal on {g}");
    }
    assert!(warned("pca-incomplete", "pc").is_none());
}

//! `fit_garch` against the `arch` package (fixtures/garch_reference.py, arch 8.0.0).

use bulwark_sim::process::{Garch11, fit_garch, garch_log_likelihood};
use bulwark_spec::data::prices::load_price_csv;
use serde_json::Value;

use super::data;

/// Parameters: relative difference allowed. arch stops SLSQP at its default tolerance
/// (scipy's `ftol` = 1e-6 on the log-likelihood), where the likelihood is flat to
/// about 1e-6 and the parameters are settled to about 1e-3 of themselves.
const PARAM_RELATIVE: f64 = 1e-2;
/// The mean is near zero: compared in units of the return's standard deviation.
const MU_IN_SD: f64 = 1e-3;
/// Log-likelihood at the same parameters: the same sum in another order.
const LLF_RELATIVE: f64 = 1e-10;

fn reference() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/fixtures/garch_reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn percent_log_returns(file: &str) -> Vec<f64> {
    let (series, _) = load_price_csv(&data(file)).unwrap();
    series.log_returns().map(|(_, r)| 100.0 * r).collect()
}

fn params(v: &Value) -> Garch11 {
    let p = |k: &str| v[k].as_f64().unwrap();
    Garch11::new(p("mu"), p("omega"), p("alpha"), p("beta")).unwrap()
}

#[test]
fn fit_matches_arch_on_hourly_weth_and_wbtc() {
    let reference = reference();
    let fits = reference["fits"].as_array().unwrap();
    assert_eq!(fits.len(), 2, "every reference fit is checked");
    for fit in fits {
        let file = fit["file"].as_str().unwrap();
        let returns = percent_log_returns(file);
        assert_eq!(returns.len() as u64, fit["n_returns"].as_u64().unwrap(), "{file}");
        let arch = params(&fit["params"]);
        let arch_llf = fit["log_likelihood"].as_f64().unwrap();

        let ours = fit_garch(&returns).unwrap();
        let bc = fit["backcast"].as_f64().unwrap();
        assert!((ours.backcast / bc - 1.0).abs() < 1e-12, "{file}: backcast {} vs {bc}", ours.backcast);
        assert!(ours.converged, "{file}");

        // Our likelihood at arch's parameters is arch's likelihood.
        let at_arch = garch_log_likelihood(&returns, &arch).unwrap();
        assert!((at_arch / arch_llf - 1.0).abs() < LLF_RELATIVE, "{file}: {at_arch} vs {arch_llf}");
        for probe in fit["probes"].as_array().unwrap() {
            let p: Vec<f64> = probe["params"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
            let probe_llf = probe["log_likelihood"].as_f64().unwrap();
            let ours_llf = garch_log_likelihood(&returns, &Garch11::new(p[0], p[1], p[2], p[3]).unwrap()).unwrap();
            assert!((ours_llf / probe_llf - 1.0).abs() < LLF_RELATIVE, "{file} at {p:?}: {ours_llf} vs {probe_llf}");
        }

        // Our optimum is at least as likely as arch's, and close to it.
        assert!(ours.log_likelihood >= arch_llf - 1e-6, "{file}: {} < {arch_llf}", ours.log_likelihood);
        let sd = fit["sample_variance"].as_f64().unwrap().sqrt();
        let p = ours.params;
        assert!((p.mu() - arch.mu()).abs() / sd < MU_IN_SD, "{file}: mu {} vs {}", p.mu(), arch.mu());
        for (name, a, b) in
            [("omega", p.omega(), arch.omega()), ("alpha", p.alpha(), arch.alpha()), ("beta", p.beta(), arch.beta())]
        {
            assert!((a / b - 1.0).abs() < PARAM_RELATIVE, "{file}: {name} {a} vs arch {b}");
        }
        println!(
            "{file}: ours mu {:.6} omega {:.6} alpha {:.6} beta {:.6} llf {:.6} ({} iterations); \
             arch mu {:.6} omega {:.6} alpha {:.6} beta {:.6} llf {:.6}; our llf at arch's {:.6}",
            p.mu(),
            p.omega(),
            p.alpha(),
            p.beta(),
            ours.log_likelihood,
            ours.iterations,
            arch.mu(),
            arch.omega(),
            arch.alpha(),
            arch.beta(),
            arch_llf,
            at_arch,
        );
    }
}

//! The one entry point for evaluating an answer: a hosted engine when the operator configured
//! one (falling back to the embedded engine, with a note, when it fails), otherwise the
//! embedded engine — with sentence embeddings when the model is installed, else lexical.

use std::sync::Arc;

use super::embed::Embedder;
use super::engine;
use super::hosted::{evaluate_hosted, Hosted};
use super::{EvalRequest, Evaluation};

#[derive(Clone, Default)]
pub struct Evaluator {
    pub hosted: Option<Hosted>,
    pub embedder: Option<Arc<Embedder>>,
    /// The plans: the hosted engine only for plans that include it (all, when billing is off).
    pub payments: crate::billing::service::Payments,
}

impl std::fmt::Debug for Evaluator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evaluator")
            .field("hosted", &self.hosted)
            .field("embedder", &self.embedder.as_ref().map(|e| e.dir.clone()))
            .finish()
    }
}

impl Evaluator {
    /// The engine reports name.
    pub fn name(&self) -> String {
        match &self.hosted {
            Some(h) => h.name(),
            None => engine::ENGINE_NAME.into(),
        }
    }

    /// Evaluates an answer: by the hosted engine when there is one and its writer allowed it
    /// (`allow_hosted`), else here.
    pub async fn evaluate(&self, req: &EvalRequest, allow_hosted: bool) -> Evaluation {
        let Some(h) = self.hosted.as_ref().filter(|_| allow_hosted) else {
            return self.embedded(req).await;
        };
        match evaluate_hosted(h, req).await {
            Ok(e) => e,
            Err(why) => {
                tracing::warn!(engine = %h.name(), %why, "hosted evaluation failed; used the embedded engine");
                let mut e = self.embedded(req).await;
                e.note = Some(format!("{} could not evaluate this answer ({why}); this is the embedded engine's result.", h.name()));
                e
            }
        }
    }

    /// The embedded engine, off the async threads when it runs the model.
    async fn embedded(&self, req: &EvalRequest) -> Evaluation {
        let Some(model) = self.embedder.clone() else {
            return engine::evaluate(req);
        };
        let r = req.clone();
        match tokio::task::spawn_blocking(move || engine::evaluate_with(&r, model.as_ref())).await {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(%e, "embedding evaluation failed; used the lexical measure");
                engine::evaluate(req)
            }
        }
    }
}

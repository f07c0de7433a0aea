//! [`KbStore`] for both backends.

use qiantang_kb::{
    Concept, ConceptProposal, ConceptRevision, KbStore, LabelKind, Market, ProposalStatus,
    Rendering, Status, StoreError, Strategy,
};

use crate::sql::{args, json_err, Arg, Db, Row, Store};

fn concept_of(mut r: Row) -> Result<Concept, StoreError> {
    serde_json::from_str(&r.take_text(0)?).map_err(|e| json_err("concept", e))
}

const PROPOSAL_COLS: &str = "id, concept, json, proposer, created_ms, status, reviewer, decided_ms";

fn proposal_of(r: Row) -> Result<ConceptProposal, StoreError> {
    let status: String = r.get(5)?;
    Ok(ConceptProposal {
        id: r.get(0)?,
        concept: r.get(1)?,
        concept_json: r.get(2)?,
        proposer: r.get(3)?,
        created_ms: r.get(4)?,
        status: ProposalStatus::parse(&status)
            .ok_or_else(|| StoreError::Backend(format!("unknown proposal status {status:?}")))?,
        reviewer: r.get(6)?,
        decided_ms: r.get(7)?,
    })
}

fn rendering_of(r: Row) -> Result<Rendering, StoreError> {
    let market: String = r.get(2)?;
    let strategy: String = r.get(3)?;
    let status: String = r.get(6)?;
    Ok(Rendering {
        concept: r.get(0)?,
        lang: r.get(1)?,
        market: if market.is_empty() {
            None
        } else {
            Some(market)
        },
        strategy: Strategy::parse(&strategy).ok_or_else(|| {
            StoreError::Backend(format!("unknown strategy {strategy:?} in store"))
        })?,
        text: r.get(4)?,
        gloss: r.get(5)?,
        status: if status == "reviewed" {
            Status::Reviewed
        } else {
            Status::Draft
        },
    })
}

impl<D: Db> KbStore for Store<D> {
    fn list_concepts(&self) -> Result<Vec<Concept>, StoreError> {
        self.db.read(|c| {
            c.map(
                "list concepts",
                "SELECT json FROM concepts ORDER BY id",
                &[],
                concept_of,
            )
        })
    }

    fn count_concepts(&self) -> Result<u64, StoreError> {
        self.db.read(|c| {
            c.one("count concepts", "SELECT COUNT(*) FROM concepts", &[])?
                .get(0)
        })
    }

    fn get_concept(&self, id: &str) -> Result<Option<Concept>, StoreError> {
        self.db.read(|c| {
            c.opt(
                "get concept",
                "SELECT json FROM concepts WHERE id = ?1",
                &args![id],
            )?
            .map(concept_of)
            .transpose()
        })
    }

    fn put_concepts(
        &self,
        concepts: &[Concept],
        actor: &str,
        at_ms: i64,
    ) -> Result<(), StoreError> {
        let op = "put concepts";
        self.db.write(|c| {
            let get_old = format!(
                "SELECT json FROM concepts WHERE id = ?1{}",
                c.dialect().for_update()
            );
            for concept in concepts {
                let json = serde_json::to_string(concept).map_err(|e| json_err("concept", e))?;
                if let Some(old) = c.opt(op, &get_old, &args![&concept.id])? {
                    if old.get::<String>(0)? == json {
                        continue;
                    }
                }
                c.exec(
                    op,
                    "INSERT INTO concepts (id, category, json, updated_ms) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (id) DO UPDATE SET category = excluded.category, json = excluded.json,
                     updated_ms = excluded.updated_ms",
                    &args![&concept.id, &concept.category, &json, at_ms],
                )?;
                c.exec(
                    op,
                    "DELETE FROM concept_labels WHERE concept = ?1",
                    &args![&concept.id],
                )?;
                let lower: Vec<String> =
                    concept.labels.iter().map(|l| l.text.to_lowercase()).collect();
                let mut rows: Vec<Arg<'_>> = Vec::with_capacity(concept.labels.len() * 5);
                for (l, lower) in concept.labels.iter().zip(&lower) {
                    let kind = match l.kind {
                        LabelKind::Pref => "pref",
                        LabelKind::Alt => "alt",
                    };
                    rows.extend(args![&concept.id, &l.lang, kind, &l.text, lower]);
                }
                c.insert_rows(
                    op,
                    "INSERT INTO concept_labels (concept, lang, kind, text, text_lower) VALUES",
                    "",
                    5,
                    &rows,
                )?;
                c.exec(
                    op,
                    "INSERT INTO concept_revisions (concept, revision, actor, at_ms, json)
                     VALUES (?1, (SELECT COALESCE(MAX(revision), 0) + 1 FROM concept_revisions WHERE concept = ?1), ?2, ?3, ?4)",
                    &args![&concept.id, actor, at_ms, &json],
                )?;
            }
            Ok(())
        })
    }

    fn delete_concept(&self, id: &str) -> Result<bool, StoreError> {
        self.db.write(|c| {
            let n = c.exec(
                "delete concept",
                "DELETE FROM concepts WHERE id = ?1",
                &args![id],
            )?;
            c.exec(
                "delete concept occurrences",
                "DELETE FROM occurrences WHERE concept = ?1",
                &args![id],
            )?;
            Ok(n > 0)
        })
    }

    fn search_concepts(&self, query: &str, limit: usize) -> Result<Vec<Concept>, StoreError> {
        let q = query.trim().to_lowercase();
        if q.is_empty() {
            return Ok(Vec::new());
        }
        let escaped = q
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        let prefix = format!("{escaped}%");
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // `NULLS FIRST` (SQLite's default) for a concept without labels.
        self.db.read(|c| {
            c.map(
                "search concepts",
                r"SELECT c.json FROM concepts c WHERE c.id IN (
                   SELECT concept FROM concept_labels WHERE text_lower LIKE ?1 ESCAPE '\'
                   UNION SELECT id FROM concepts WHERE lower(id) LIKE ?1 ESCAPE '\')
                 ORDER BY (SELECT MIN(CASE WHEN l.text_lower = ?2 THEN 0
                                           WHEN l.text_lower LIKE ?3 ESCAPE '\' THEN 1 ELSE 2 END)
                           FROM concept_labels l WHERE l.concept = c.id) NULLS FIRST, c.id
                 LIMIT ?4",
                &args![&pattern, &q, &prefix, limit],
                concept_of,
            )
        })
    }

    fn concept_history(&self, id: &str) -> Result<Vec<ConceptRevision>, StoreError> {
        self.db.read(|c| {
            c.map(
                "concept history",
                "SELECT concept, revision, actor, at_ms, json FROM concept_revisions
                 WHERE concept = ?1 ORDER BY revision DESC",
                &args![id],
                |r| {
                    Ok(ConceptRevision {
                        concept: r.get(0)?,
                        revision: r.get(1)?,
                        actor: r.get(2)?,
                        at_ms: r.get(3)?,
                        concept_json: r.get(4)?,
                    })
                },
            )
        })
    }

    fn list_renderings(&self, concept: Option<&str>) -> Result<Vec<Rendering>, StoreError> {
        self.db.read(|c| {
            c.map(
                "list renderings",
                "SELECT concept, lang, market, strategy, text, gloss, status FROM renderings
                 WHERE CAST(?1 AS TEXT) IS NULL OR concept = ?1 ORDER BY concept, lang, market",
                &args![concept],
                rendering_of,
            )
        })
    }

    fn put_renderings(&self, renderings: &[Rendering]) -> Result<(), StoreError> {
        let op = "put renderings";
        self.db.write(|c| {
            for r in renderings {
                c.exec_or(
                    op,
                    "INSERT INTO renderings (concept, lang, market, strategy, text, gloss, status)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (concept, lang, market) DO UPDATE SET strategy = excluded.strategy,
                     text = excluded.text, gloss = excluded.gloss, status = excluded.status",
                    &args![
                        &r.concept,
                        &r.lang,
                        r.market.as_deref().unwrap_or(""),
                        r.strategy.as_str(),
                        &r.text,
                        &r.gloss,
                        r.status.as_str()
                    ],
                    || {
                        StoreError::Invalid(format!(
                            "rendering for unknown concept {:?}",
                            r.concept
                        ))
                    },
                )?;
            }
            Ok(())
        })
    }

    fn create_proposal(
        &self,
        concept: &Concept,
        proposer: &str,
        at_ms: i64,
    ) -> Result<i64, StoreError> {
        let json = serde_json::to_string(concept).map_err(|e| json_err("proposal", e))?;
        self.db.write(|c| {
            c.one(
                "create proposal",
                "INSERT INTO concept_proposals (concept, json, proposer, created_ms)
                 VALUES (?1, ?2, ?3, ?4) RETURNING id",
                &args![&concept.id, &json, proposer, at_ms],
            )?
            .get(0)
        })
    }

    fn get_proposal(&self, id: i64) -> Result<Option<ConceptProposal>, StoreError> {
        self.db.read(|c| {
            c.opt(
                "get proposal",
                &format!("SELECT {PROPOSAL_COLS} FROM concept_proposals WHERE id = ?1"),
                &args![id],
            )?
            .map(proposal_of)
            .transpose()
        })
    }

    fn list_proposals(
        &self,
        status: Option<ProposalStatus>,
        limit: usize,
    ) -> Result<Vec<ConceptProposal>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.db.read(|c| {
            c.map(
                "list proposals",
                &format!(
                    "SELECT {PROPOSAL_COLS} FROM concept_proposals
                     WHERE CAST(?1 AS TEXT) IS NULL OR status = ?1 ORDER BY id DESC LIMIT ?2"
                ),
                &args![status.map(|s| s.as_str()), limit],
                proposal_of,
            )
        })
    }

    fn decide_proposal(
        &self,
        id: i64,
        status: ProposalStatus,
        reviewer: &str,
        at_ms: i64,
    ) -> Result<bool, StoreError> {
        if status == ProposalStatus::Pending {
            return Err(StoreError::Invalid(
                "a decision is approved or rejected".into(),
            ));
        }
        let n = self.db.write(|c| {
            c.exec(
                "decide proposal",
                "UPDATE concept_proposals SET status = ?2, reviewer = ?3, decided_ms = ?4
                 WHERE id = ?1 AND status = 'pending'",
                &args![id, status.as_str(), reviewer, at_ms],
            )
        })?;
        Ok(n > 0)
    }

    fn list_markets(&self) -> Result<Vec<Market>, StoreError> {
        self.db.read(|c| {
            c.map(
                "list markets",
                "SELECT json FROM markets ORDER BY region",
                &[],
                |mut r| serde_json::from_str(&r.take_text(0)?).map_err(|e| json_err("market", e)),
            )
        })
    }

    fn put_markets(&self, markets: &[Market]) -> Result<(), StoreError> {
        self.db.write(|c| {
            for m in markets {
                let json = serde_json::to_string(m).map_err(|e| json_err("market", e))?;
                c.exec(
                    "put markets",
                    "INSERT INTO markets (region, json) VALUES (?1, ?2)
                     ON CONFLICT (region) DO UPDATE SET json = excluded.json",
                    &args![&m.region, &json],
                )?;
            }
            Ok(())
        })
    }
}

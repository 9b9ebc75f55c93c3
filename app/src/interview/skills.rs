//! Skills named in free text (a resume, a job description, a profile), by a lexicon of tools,
//! methods and domain skills across the roles Viva covers. Pure code, tested natively.

/// (what to look for, lower case; how to show it). Longer phrases first where they overlap.
const LEXICON: &[(&str, &str)] = &[
    // Software
    ("rust", "Rust"),
    ("python", "Python"),
    ("javascript", "JavaScript"),
    ("typescript", "TypeScript"),
    ("java", "Java"),
    ("kotlin", "Kotlin"),
    ("swift", "Swift"),
    ("golang", "Go"),
    ("c++", "C++"),
    ("c#", "C#"),
    ("ruby", "Ruby"),
    ("php", "PHP"),
    ("scala", "Scala"),
    ("react", "React"),
    ("vue", "Vue"),
    ("angular", "Angular"),
    ("svelte", "Svelte"),
    ("next.js", "Next.js"),
    ("node.js", "Node.js"),
    ("nodejs", "Node.js"),
    ("django", "Django"),
    ("flask", "Flask"),
    ("fastapi", "FastAPI"),
    ("spring", "Spring"),
    ("rails", "Rails"),
    ("graphql", "GraphQL"),
    ("rest api", "REST APIs"),
    ("grpc", "gRPC"),
    ("microservices", "Microservices"),
    ("postgresql", "PostgreSQL"),
    ("postgres", "PostgreSQL"),
    ("mysql", "MySQL"),
    ("mongodb", "MongoDB"),
    ("redis", "Redis"),
    ("kafka", "Kafka"),
    ("rabbitmq", "RabbitMQ"),
    ("elasticsearch", "Elasticsearch"),
    ("docker", "Docker"),
    ("kubernetes", "Kubernetes"),
    ("terraform", "Terraform"),
    ("aws", "AWS"),
    ("azure", "Azure"),
    ("gcp", "Google Cloud"),
    ("google cloud", "Google Cloud"),
    ("ci/cd", "CI/CD"),
    ("github actions", "GitHub Actions"),
    ("jenkins", "Jenkins"),
    ("git", "Git"),
    ("linux", "Linux"),
    ("html", "HTML"),
    ("css", "CSS"),
    ("accessibility", "Accessibility"),
    ("webassembly", "WebAssembly"),
    ("unit testing", "Unit testing"),
    ("test automation", "Test automation"),
    ("playwright", "Playwright"),
    ("cypress", "Cypress"),
    ("observability", "Observability"),
    ("prometheus", "Prometheus"),
    ("grafana", "Grafana"),
    ("distributed systems", "Distributed systems"),
    ("system design", "System design"),
    ("security", "Security"),
    // Data
    ("sql", "SQL"),
    ("excel", "Excel"),
    ("tableau", "Tableau"),
    ("power bi", "Power BI"),
    ("looker", "Looker"),
    ("dbt", "dbt"),
    ("airflow", "Airflow"),
    ("spark", "Spark"),
    ("pandas", "pandas"),
    ("numpy", "NumPy"),
    ("scikit-learn", "scikit-learn"),
    ("pytorch", "PyTorch"),
    ("tensorflow", "TensorFlow"),
    ("machine learning", "Machine learning"),
    ("deep learning", "Deep learning"),
    ("statistics", "Statistics"),
    ("a/b test", "A/B testing"),
    ("experimentation", "Experimentation"),
    ("forecasting", "Forecasting"),
    ("data visualization", "Data visualisation"),
    ("data visualisation", "Data visualisation"),
    ("etl", "ETL"),
    ("data warehouse", "Data warehousing"),
    ("snowflake", "Snowflake"),
    ("bigquery", "BigQuery"),
    ("nlp", "NLP"),
    ("r ", "R"),
    // Product, design, projects
    ("roadmap", "Roadmapping"),
    ("user research", "User research"),
    ("usability testing", "Usability testing"),
    ("figma", "Figma"),
    ("sketch", "Sketch"),
    ("prototyping", "Prototyping"),
    ("wireframing", "Wireframing"),
    ("design system", "Design systems"),
    ("information architecture", "Information architecture"),
    ("okrs", "OKRs"),
    ("agile", "Agile"),
    ("scrum", "Scrum"),
    ("kanban", "Kanban"),
    ("jira", "Jira"),
    ("stakeholder management", "Stakeholder management"),
    ("risk management", "Risk management"),
    ("budgeting", "Budgeting"),
    ("prince2", "PRINCE2"),
    ("pmp", "PMP"),
    // Marketing, sales, support
    ("seo", "SEO"),
    ("content marketing", "Content marketing"),
    ("social media", "Social media"),
    ("google analytics", "Google Analytics"),
    ("email marketing", "E-mail marketing"),
    ("brand", "Brand"),
    ("copywriting", "Copywriting"),
    ("paid search", "Paid search"),
    ("salesforce", "Salesforce"),
    ("hubspot", "HubSpot"),
    ("crm", "CRM"),
    ("prospecting", "Prospecting"),
    ("negotiation", "Negotiation"),
    ("account management", "Account management"),
    ("zendesk", "Zendesk"),
    ("customer success", "Customer success"),
    ("customer service", "Customer service"),
    ("csat", "CSAT"),
    // Health, teaching, finance, HR
    ("patient care", "Patient care"),
    ("triage", "Triage"),
    ("medication administration", "Medication administration"),
    ("infection control", "Infection control"),
    ("wound care", "Wound care"),
    ("icu", "Intensive care"),
    ("paediatric", "Paediatrics"),
    ("pediatric", "Paediatrics"),
    ("lesson planning", "Lesson planning"),
    ("classroom management", "Classroom management"),
    ("differentiation", "Differentiation"),
    ("safeguarding", "Safeguarding"),
    ("curriculum", "Curriculum design"),
    ("sen", "Special educational needs"),
    ("financial modelling", "Financial modelling"),
    ("financial modeling", "Financial modelling"),
    ("valuation", "Valuation"),
    ("dcf", "DCF valuation"),
    ("fp&a", "FP&A"),
    ("variance analysis", "Variance analysis"),
    ("ifrs", "IFRS"),
    ("gaap", "GAAP"),
    ("recruiting", "Recruiting"),
    ("recruitment", "Recruiting"),
    ("onboarding", "Onboarding"),
    ("employee relations", "Employee relations"),
    ("performance management", "Performance management"),
    ("compensation", "Compensation and benefits"),
    ("hris", "HRIS"),
    // General
    ("leadership", "Leadership"),
    ("mentoring", "Mentoring"),
    ("public speaking", "Public speaking"),
    ("project management", "Project management"),
];

/// Skills named in `text`, most mentioned first, each once, as they are shown to people.
pub fn extract_skills(text: &str) -> Vec<String> {
    let hay = format!(" {} ", text.to_lowercase());
    let mut found: Vec<(usize, usize, &str)> = Vec::new(); // (count, first position, label)
    for (needle, label) in LEXICON {
        let mut count = 0;
        let mut first = usize::MAX;
        let mut from = 0;
        while let Some(p) = hay[from..].find(needle) {
            let at = from + p;
            let before = hay[..at].chars().next_back().unwrap_or(' ');
            let end = at + needle.len();
            let after = hay[end..].chars().next().unwrap_or(' ');
            let word_edge = |c: char| !c.is_alphanumeric() && c != '+' && c != '#';
            if word_edge(before) && (word_edge(after) || needle.ends_with(' ')) {
                count += 1;
                first = first.min(at);
            }
            from = end;
        }
        if count > 0 {
            if let Some(existing) = found.iter_mut().find(|f| f.2 == *label) {
                existing.0 += count;
                existing.1 = existing.1.min(first);
            } else {
                found.push((count, first, label));
            }
        }
    }
    found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    found.into_iter().map(|(_, _, l)| l.to_string()).collect()
}

/// Cleans a list typed by a person: trimmed, no empties, no duplicates (case-insensitive), at
/// most `max` items of at most 60 characters each.
pub fn clean_list(items: &[String], max: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items.iter().flat_map(|s| s.split([',', '\n'])) {
        let t: String = i
            .trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(60)
            .collect();
        if !t.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(&t)) && out.len() < max {
            out.push(t);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_named_skills_most_mentioned_first() {
        let jd = "We need a backend engineer with Rust and PostgreSQL. Rust experience is a must; Kubernetes a plus. Postgres tuning.";
        assert_eq!(extract_skills(jd), ["Rust", "PostgreSQL", "Kubernetes"]);
    }

    #[test]
    fn does_not_match_inside_other_words() {
        // "rust" in "trust", "git" in "digital", "sql" inside "nosql" is still SQL-ish but "java" in "javascript" is not Java.
        let skills = extract_skills("Trusted digital marketer; JavaScript and C++ developer.");
        assert!(!skills.contains(&"Rust".to_string()), "{skills:?}");
        assert!(!skills.contains(&"Git".to_string()), "{skills:?}");
        assert!(!skills.contains(&"Java".to_string()), "{skills:?}");
        assert!(
            skills.contains(&"JavaScript".to_string()) && skills.contains(&"C++".to_string()),
            "{skills:?}"
        );
    }

    #[test]
    fn cleans_typed_lists() {
        let got = clean_list(
            &["Rust, rust , SQL".into(), "".into(), "  Figma\n".into()],
            10,
        );
        assert_eq!(got, ["Rust", "SQL", "Figma"]);
        assert_eq!(clean_list(&["a,b,c,d".into()], 2), ["a", "b"]);
    }
}

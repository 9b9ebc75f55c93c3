//! Kinds of interview question: how an answer to each is judged.

crate::slug_enum! {
    /// The kind of a question.
    #[derive(PartialOrd, Ord)]
    pub enum Kind {
        Behavioural = "behavioural",
        Situational = "situational",
        Technical = "technical",
        RoleSpecific = "role-specific",
        CultureFit = "culture-fit",
        SystemDesign = "system-design",
    }
}

impl Kind {
    /// How people read it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Behavioural => "Behavioural",
            Kind::Situational => "Situational",
            Kind::Technical => "Technical",
            Kind::RoleSpecific => "Role-specific",
            Kind::CultureFit => "Culture fit",
            Kind::SystemDesign => "System design",
        }
    }

    /// Questions about the candidate's own past, where a STAR story is the expected shape.
    pub fn wants_story(self) -> bool {
        matches!(
            self,
            Kind::Behavioural | Kind::Situational | Kind::CultureFit
        )
    }
}

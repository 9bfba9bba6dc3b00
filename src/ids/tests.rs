//! Every accepted form in one table, every refused input in another.

use super::*;

fn parse(s: &str) -> PaperId {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// (input, the id as shown: the S2 API form, or `OpenAlex:W…`).
const ACCEPTED: &[(&str, &str)] = &[
    // S2 ids.
    (
        "649DEF34F8BE52C8B66281AF98AE884C09AEF38B",
        "649def34f8be52c8b66281af98ae884c09aef38b",
    ),
    ("CorpusId:215416146", "CorpusId:215416146"),
    ("CorpusID:14514057", "CorpusId:14514057"),
    ("corpusid:1", "CorpusId:1"),
    (
        "https://www.semanticscholar.org/paper/Attention-is-All-you-Need-Vaswani-Shazeer/204e3073870fae3d05bcbc2f6a8e263d9b72e776",
        "204e3073870fae3d05bcbc2f6a8e263d9b72e776",
    ),
    (
        "https://www.semanticscholar.org/paper/204E3073870FAE3D05BCBC2F6A8E263D9B72E776?utm=x#cite",
        "204e3073870fae3d05bcbc2f6a8e263d9b72e776",
    ),
    (
        "https://www.semanticscholar.org/paper/CorpusID:215416146",
        "CorpusId:215416146",
    ),
    (
        "https://api.semanticscholar.org/CorpusID:215416146",
        "CorpusId:215416146",
    ),
    (
        "https://api.semanticscholar.org/corpusid:215416146",
        "CorpusId:215416146",
    ),
    ("https://www.semanticscholar.org/arxiv/1706.03762", "ARXIV:1706.03762"),
    (
        "https://api.semanticscholar.org/graph/v1/paper/DOI:10.18653/v1/N18-3011",
        "DOI:10.18653/v1/N18-3011",
    ),
    // DOIs.
    ("DOI:10.18653/v1/N18-3011", "DOI:10.18653/v1/N18-3011"),
    ("doi:10.1093/mind/LIX.236.433", "DOI:10.1093/mind/LIX.236.433"),
    ("doi: 10.1093/mind/lix.236.433.", "DOI:10.1093/mind/lix.236.433"),
    ("10.1093/mind/lix.236.433", "DOI:10.1093/mind/lix.236.433"),
    ("(10.1093/mind/lix.236.433),", "DOI:10.1093/mind/lix.236.433"),
    (
        "https://doi.org/10.1093/mind/LIX.236.433",
        "DOI:10.1093/mind/LIX.236.433",
    ),
    ("http://dx.doi.org/10.1000/182", "DOI:10.1000/182"),
    ("https://doi.org/10.1002%2Fanie.201915678", "DOI:10.1002/anie.201915678"),
    (
        "https://doi.org/10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0",
        "DOI:10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0",
    ),
    ("<https://doi.org/10.1000/182>.", "DOI:10.1000/182"),
    ("DOI:10.1016/S0140-6736(20)30183-5", "DOI:10.1016/S0140-6736(20)30183-5"),
    ("URL:https://doi.org/10.1000/182", "DOI:10.1000/182"),
    // arXiv.
    ("ARXIV:1706.03762", "ARXIV:1706.03762"),
    ("arXiv:2106.15928v2", "ARXIV:2106.15928"),
    ("ARXIV:hep-th/9901001", "ARXIV:hep-th/9901001"),
    ("1706.03762", "ARXIV:1706.03762"),
    ("1706.03762v5", "ARXIV:1706.03762"),
    ("0704.0001", "ARXIV:0704.0001"),
    ("hep-th/9901001", "ARXIV:hep-th/9901001"),
    ("math.AG/0601001v2", "ARXIV:math.AG/0601001"),
    ("https://arxiv.org/abs/1706.03762", "ARXIV:1706.03762"),
    ("https://arxiv.org/abs/1706.03762v7", "ARXIV:1706.03762"),
    ("http://arxiv.org/pdf/1706.03762v2.pdf", "ARXIV:1706.03762"),
    ("https://arxiv.org/pdf/1706.03762", "ARXIV:1706.03762"),
    ("https://www.arxiv.org/abs/hep-th/9901001v1", "ARXIV:hep-th/9901001"),
    ("https://export.arxiv.org/abs/2106.15928", "ARXIV:2106.15928"),
    // PubMed and PMC.
    ("PMID:19872477", "PMID:19872477"),
    ("https://pubmed.ncbi.nlm.nih.gov/19872477/", "PMID:19872477"),
    ("https://www.ncbi.nlm.nih.gov/pubmed/19872477", "PMID:19872477"),
    ("https://europepmc.org/article/MED/19872477", "PMID:19872477"),
    ("PMCID:2323736", "PMCID:2323736"),
    ("PMCID:PMC2323736", "PMCID:2323736"),
    ("PMC2323736", "PMCID:2323736"),
    ("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC2323736/", "PMCID:2323736"),
    ("https://pmc.ncbi.nlm.nih.gov/articles/PMC2323736/", "PMCID:2323736"),
    // OpenAlex.
    ("W2741809807", "OpenAlex:W2741809807"),
    ("https://openalex.org/W2741809807", "OpenAlex:W2741809807"),
    ("https://openalex.org/works/w2741809807", "OpenAlex:W2741809807"),
    ("https://api.openalex.org/works/W2741809807", "OpenAlex:W2741809807"),
    ("OpenAlex:W2741809807", "OpenAlex:W2741809807"),
    // The rest.
    ("MAG:112218234", "MAG:112218234"),
    ("ACL:W12-3903", "ACL:W12-3903"),
    ("ACL:2020.acl-main.447", "ACL:2020.acl-main.447"),
    (
        "URL:https://aclanthology.org/2020.acl-main.447",
        "URL:https://aclanthology.org/2020.acl-main.447",
    ),
    (
        "https://www.biorxiv.org/content/10.1101/2020.03.01.971325v1",
        "URL:https://www.biorxiv.org/content/10.1101/2020.03.01.971325v1",
    ),
    (
        "https://www.semanticscholar.org/search?q=attention",
        "URL:https://www.semanticscholar.org/search?q=attention",
    ),
];

#[test]
fn every_accepted_form_parses_to_its_api_form() {
    for (input, shown) in ACCEPTED {
        assert_eq!(parse(input).to_string(), *shown, "{input}");
    }
}

#[test]
fn what_an_id_shows_parses_back_to_it() {
    for (input, _) in ACCEPTED {
        let id = parse(input);
        assert_eq!(parse(&id.to_string()), id, "{input}");
    }
}

#[test]
fn only_openalex_ids_need_openalex_and_they_have_no_api_form() {
    for (input, _) in ACCEPTED {
        let id = parse(input);
        assert_eq!(id.needs_openalex(), id.api_form().is_err(), "{input}");
        assert_eq!(id.needs_openalex(), id.as_openalex().is_some(), "{input}");
    }
    let err = parse("W2741809807").api_form().expect_err("not in S2");
    assert!(err.to_string().contains("W2741809807"), "{err}");
    assert_eq!(parse("https://openalex.org/W1").as_openalex(), Some("W1"));
}

/// (refused input, the "did you mean" it gets, if any).
const REFUSED: &[(&str, Option<&str>)] = &[
    ("", None),
    ("   ", None),
    ("attention", None),
    ("attention-is-all-you-need", None),
    ("ARXIV:attention", None),
    ("ARXIV:1706.3", None),
    ("1706.037621", None),
    ("CorpusId:abc", None),
    ("DOI:11.1/x", None),
    ("DOI:10.1234", None),
    ("10.1234/", None),
    ("PMID:12a", None),
    ("PMID:+12", None),
    ("ISBN:123", None),
    ("URL:ftp://example.org/x", None),
    ("ftp://example.org/x", None),
    ("ACL:", None),
    ("https://doi.org/not-a-doi", None),
    ("W", None),
    ("ARXIV1706.03762", Some("did you mean ARXIV:1706.03762?")),
    ("arxiv 1706.03762", Some("did you mean ARXIV:1706.03762?")),
    ("arXiv-1706.03762v2", Some("did you mean ARXIV:1706.03762?")),
    ("ARXVI:1706.03762", Some("did you mean ARXIV:1706.03762?")),
    ("axriv:hep-th/9901001", Some("did you mean ARXIV:hep-th/9901001?")),
    ("CorpusID 215416146", Some("did you mean CorpusId:215416146?")),
    ("CorpsID:215416146", Some("did you mean CorpusId:215416146?")),
    ("PMID 19872477", Some("did you mean PMID:19872477?")),
    ("doi 10.1/x", Some("did you mean DOI:10.1/x?")),
    ("doi.org/10.1/x", Some("did you mean DOI:10.1/x?")),
    ("arxiv.org/abs/1706.03762", Some("did you mean ARXIV:1706.03762?")),
    ("pubmed.ncbi.nlm.nih.gov/19872477", Some("did you mean PMID:19872477?")),
    ("10.1234 /abc", Some("did you mean DOI:10.1234/abc?")),
    ("1706. 03762", Some("did you mean ARXIV:1706.03762?")),
    (
        "Attention-is-All-you-Need/204e3073870fae3d05bcbc2f6a8e263d9b72e776",
        Some("did you mean 204e3073870fae3d05bcbc2f6a8e263d9b72e776?"),
    ),
    (
        "649def34f8be52c8b66281af98ae884c09aef38",
        Some("did you mean a Semantic Scholar id? Those have 40 hex digits, this has 39."),
    ),
    (
        "649def34f8be52c8b66281af98ae884c09aef38b0",
        Some("did you mean a Semantic Scholar id? Those have 40 hex digits, this has 41."),
    ),
    ("215416146", Some("did you mean CorpusId:215416146 or PMID:215416146?")),
];

#[test]
fn refused_ids_are_named_with_the_accepted_forms_and_the_closest_one() {
    for (bad, hint) in REFUSED {
        let err = bad.parse::<PaperId>().expect_err(bad);
        let message = err.to_string();
        assert!(message.contains(&format!("{bad:?}")), "{message}");
        assert!(message.contains(ACCEPTED_FORMS), "{message}");
        assert!(!message.contains('\n'), "one line: {message}");
        assert_eq!(err.suggestion(), *hint, "{bad}");
        if let Some(hint) = hint {
            assert!(message.contains(hint), "{message}");
        }
    }
}

#[test]
fn suggestions_parse_to_what_they_name() {
    for (bad, hint) in REFUSED {
        let Some(suggested) = hint
            .and_then(|h| h.strip_prefix("did you mean "))
            .and_then(|h| h.strip_suffix('?'))
            .filter(|h| !h.contains(' '))
        else {
            continue;
        };
        assert!(suggested.parse::<PaperId>().is_ok(), "{bad} → {suggested}");
    }
}

#[test]
fn arxiv_versions_are_stripped() {
    assert_eq!(strip_arxiv_version("2106.15928v2"), "2106.15928");
    assert_eq!(strip_arxiv_version("1706.03762"), "1706.03762");
    assert_eq!(strip_arxiv_version("hep-th/9901001v1"), "hep-th/9901001");
    assert_eq!(strip_arxiv_version("solv-int/9901001"), "solv-int/9901001");
}

mod any_text {
    use proptest::prelude::*;

    use super::super::PaperId;

    proptest! {
        #[test]
        fn any_text_parses_to_an_id_that_shows_as_itself_or_is_refused_in_one_line(
            text in prop_oneof![
                any::<String>(),
                "(https?://|doi|arxiv|corpusid|pmc|W|[:/ .%()<>\"'-]|10\\.[0-9]{1,4}|[0-9]{1,8}|[a-f0-9]{38,41}|v[0-9]){0,6}",
            ]
        ) {
            match text.parse::<PaperId>() {
                Ok(id) => prop_assert_eq!(id.to_string().parse::<PaperId>(), Ok(id)),
                Err(e) => {
                    let message = e.to_string();
                    prop_assert!(!message.contains('\n'), "{}", message);
                    prop_assert!(message.contains(&format!("{text:?}")), "{}", message);
                }
            }
        }
    }
}

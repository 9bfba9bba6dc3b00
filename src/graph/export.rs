//! A crawl's graph as files other tools open (Gephi, Cytoscape, networkx): members as
//! nodes with their title, year, citation count, cluster, similarity and PageRank;
//! citations between members as edges. GraphML, GEXF 1.3, CSV (a nodes file and an edges
//! file) and JSON (networkx's node-link form). Pure: text in, text out.

use std::fmt::Write as _;

/// A paper as a node.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Node {
    /// S2 id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Year.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i64>,
    /// S2's citation count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub citation_count: Option<i64>,
    /// Its cluster's label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Its cluster's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<i64>,
    /// Similarity to the seeds, 0–1.
    pub similarity: f64,
    /// PageRank in the crawl.
    pub pagerank: f64,
    /// Members citing it.
    pub in_crawl_citations: i64,
}

/// What is exported.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Export {
    /// The crawl.
    pub crawl_id: i64,
    /// Members.
    pub nodes: Vec<Node>,
    /// Citations between members: (citing, cited).
    pub edges: Vec<(String, String)>,
}

/// The node attributes: (name, GraphML type, GEXF type).
const ATTRIBUTES: [(&str, &str, &str); 7] = [
    ("year", "int", "integer"),
    ("citation_count", "int", "integer"),
    ("cluster", "string", "string"),
    ("cluster_id", "int", "integer"),
    ("similarity", "double", "double"),
    ("pagerank", "double", "double"),
    ("in_crawl_citations", "int", "integer"),
];

impl Node {
    /// Attribute values in [`ATTRIBUTES`] order; `None` when unknown.
    fn values(&self) -> [Option<String>; 7] {
        [
            self.year.map(|v| v.to_string()),
            self.citation_count.map(|v| v.to_string()),
            self.cluster.clone(),
            self.cluster_id.map(|v| v.to_string()),
            Some(self.similarity.to_string()),
            Some(self.pagerank.to_string()),
            Some(self.in_crawl_citations.to_string()),
        ]
    }
}

/// Text for an XML attribute or element: escaped, characters XML 1.0 forbids dropped.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// GraphML (directed), every attribute declared as a `key`.
pub fn graphml(e: &Export) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns \
         http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">\n",
    );
    s.push_str("  <key id=\"title\" for=\"node\" attr.name=\"title\" attr.type=\"string\"/>\n");
    for (name, ty, _) in ATTRIBUTES {
        let _ = writeln!(
            s,
            "  <key id=\"{name}\" for=\"node\" attr.name=\"{name}\" attr.type=\"{ty}\"/>"
        );
    }
    let _ = writeln!(s, "  <graph id=\"crawl-{}\" edgedefault=\"directed\">", e.crawl_id);
    for n in &e.nodes {
        let _ = write!(
            s,
            "    <node id=\"{}\"><data key=\"title\">{}</data>",
            xml(&n.id),
            xml(&n.title)
        );
        for ((name, _, _), value) in ATTRIBUTES.iter().zip(n.values()) {
            if let Some(v) = value {
                let _ = write!(s, "<data key=\"{name}\">{}</data>", xml(&v));
            }
        }
        s.push_str("</node>\n");
    }
    for (a, b) in &e.edges {
        let _ = writeln!(s, "    <edge source=\"{}\" target=\"{}\"/>", xml(a), xml(b));
    }
    s.push_str("  </graph>\n</graphml>\n");
    s
}

/// GEXF 1.3 (directed, static), the title as each node's label.
pub fn gexf(e: &Export) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gexf xmlns=\"http://gexf.net/1.3\" version=\"1.3\">\n",
    );
    let _ = writeln!(
        s,
        "  <meta><creator>refnet</creator><description>crawl {}</description></meta>",
        e.crawl_id
    );
    s.push_str("  <graph defaultedgetype=\"directed\" mode=\"static\">\n    <attributes class=\"node\">\n");
    for (i, (name, _, ty)) in ATTRIBUTES.iter().enumerate() {
        let _ = writeln!(s, "      <attribute id=\"{i}\" title=\"{name}\" type=\"{ty}\"/>");
    }
    s.push_str("    </attributes>\n    <nodes>\n");
    for n in &e.nodes {
        let _ = write!(
            s,
            "      <node id=\"{}\" label=\"{}\"><attvalues>",
            xml(&n.id),
            xml(&n.title)
        );
        for (i, value) in n.values().into_iter().enumerate() {
            if let Some(v) = value {
                let _ = write!(s, "<attvalue for=\"{i}\" value=\"{}\"/>", xml(&v));
            }
        }
        s.push_str("</attvalues></node>\n");
    }
    s.push_str("    </nodes>\n    <edges>\n");
    for (i, (a, b)) in e.edges.iter().enumerate() {
        let _ = writeln!(
            s,
            "      <edge id=\"{i}\" source=\"{}\" target=\"{}\"/>",
            xml(a),
            xml(b)
        );
    }
    s.push_str("    </edges>\n  </graph>\n</gexf>\n");
    s
}

/// A CSV field, quoted when it must be (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The nodes file and the edges file, each with a header row.
pub fn csv(e: &Export) -> (String, String) {
    let mut nodes = String::from("id,title");
    for (name, _, _) in ATTRIBUTES {
        nodes.push(',');
        nodes.push_str(name);
    }
    nodes.push('\n');
    for n in &e.nodes {
        nodes.push_str(&csv_field(&n.id));
        nodes.push(',');
        nodes.push_str(&csv_field(&n.title));
        for v in n.values() {
            nodes.push(',');
            nodes.push_str(&csv_field(v.as_deref().unwrap_or("")));
        }
        nodes.push('\n');
    }
    let mut edges = String::from("source,target\n");
    for (a, b) in &e.edges {
        let _ = writeln!(edges, "{},{}", csv_field(a), csv_field(b));
    }
    (nodes, edges)
}

/// networkx's node-link JSON (`nx.node_link_graph(data, edges="links")`).
pub fn json(e: &Export) -> String {
    let links: Vec<serde_json::Value> = e
        .edges
        .iter()
        .map(|(a, b)| serde_json::json!({ "source": a, "target": b }))
        .collect();
    let doc = serde_json::json!({
        "directed": true,
        "multigraph": false,
        "graph": { "crawl_id": e.crawl_id },
        "nodes": e.nodes,
        "links": links,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Export {
        let node = |id: &str, title: &str| Node {
            id: id.to_owned(),
            title: title.to_owned(),
            year: Some(2017),
            citation_count: None,
            cluster: Some("attention, transformer".to_owned()),
            cluster_id: Some(1),
            similarity: 0.5,
            pagerank: 0.25,
            in_crawl_citations: 1,
        };
        Export {
            crawl_id: 3,
            nodes: vec![node("a", "Tom & \"Jerry\" <b>\u{1}"), node("b", "Plain, with comma")],
            edges: vec![("a".to_owned(), "b".to_owned())],
        }
    }

    #[test]
    fn xml_escapes_markup_and_drops_forbidden_characters() {
        let text = graphml(&sample());
        assert!(text.contains("Tom &amp; &quot;Jerry&quot; &lt;b&gt;</data>"), "{text}");
        assert!(!text.contains('\u{1}'));
        assert!(!text.contains("citation_count\">"), "unknown values are left out");
        assert!(gexf(&sample()).contains("label=\"Tom &amp; &quot;Jerry&quot; &lt;b&gt;\""));
    }

    #[test]
    fn csv_quotes_what_needs_it_and_keeps_one_row_per_node_and_edge() {
        let (nodes, edges) = csv(&sample());
        assert_eq!(nodes.lines().count(), 3);
        assert!(nodes.contains("\"Plain, with comma\""), "{nodes}");
        assert!(nodes.contains("\"Tom & \"\"Jerry\"\" <b>\u{1}\""), "{nodes}");
        assert_eq!(edges, "source,target\na,b\n");
    }

    #[test]
    fn json_is_node_link_with_every_node_and_link() {
        let doc: serde_json::Value = serde_json::from_str(&json(&sample())).expect("json");
        assert_eq!(doc["nodes"].as_array().map(Vec::len), Some(2));
        assert_eq!(doc["links"][0]["target"], "b");
        assert_eq!(doc["nodes"][0]["similarity"], 0.5);
    }
}

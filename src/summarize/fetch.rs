//! Downloading open-access PDFs without becoming a proxy into the network refnet runs
//! on (SSRF).
//!
//! - Only `http` and `https`.
//! - Loopback, private, link-local (cloud metadata lives there), shared, multicast and
//!   reserved addresses are refused unless `REFNET_ALLOW_PRIVATE_HOSTS=1` or the host is
//!   explicitly allowed (`pdf.allow_hosts`). The check runs on the address actually
//!   connected to: an IP in the URL is checked before the request, and host names go
//!   through a resolver that drops forbidden addresses, so DNS cannot swap in another one
//!   between the check and the connection.
//! - Redirects are followed by hand, at most five, each hop checked the same way.
//! - The size cap is enforced while streaming; the whole download has a timeout.
//! - An HTML answer (a publisher's landing page) and anything without the `%PDF-` magic
//!   are refused without being kept.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use url::Url;

use crate::http::USER_AGENT;
use crate::settings::PdfSettings;

/// Redirects followed at most.
pub const MAX_REDIRECTS: usize = 5;

/// Why a PDF was not downloaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// Refused before any connection: a scheme, address or redirect refnet will not follow.
    #[error("refused {url}: {why}")]
    Refused {
        /// The URL.
        url: String,
        /// Why.
        why: String,
    },
    /// The server answered with an error.
    #[error("{url} answered {status}")]
    Status {
        /// The URL.
        url: String,
        /// HTTP status.
        status: u16,
    },
    /// Larger than the cap.
    #[error("{url} is larger than the {limit_mb} MB limit (REFNET_PDF_MAX_MB)")]
    TooLarge {
        /// The URL.
        url: String,
        /// The cap in MB.
        limit_mb: u64,
    },
    /// A web page where a PDF was expected.
    #[error("{url} is a web page (HTML), not a PDF: probably a publisher's landing page")]
    LandingPage {
        /// The URL.
        url: String,
    },
    /// Not a PDF.
    #[error("{url} is not a PDF ({what})")]
    NotPdf {
        /// The URL.
        url: String,
        /// What it looked like.
        what: String,
    },
    /// Too slow.
    #[error("downloading {url} took longer than {secs} s")]
    Timeout {
        /// The URL.
        url: String,
        /// The limit.
        secs: u64,
    },
    /// The network failed.
    #[error("cannot download {url}: {reason}")]
    Network {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
}

/// Why an address is refused, if it is.
pub fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden_v4(v4);
            }
            let s = v6.segments();
            if v6.is_loopback() {
                Some("a loopback address")
            } else if v6.is_unspecified() {
                Some("the unspecified address")
            } else if (s[0] & 0xfe00) == 0xfc00 {
                Some("a private (unique local) address")
            } else if (s[0] & 0xffc0) == 0xfe80 {
                Some("a link-local address")
            } else if v6.is_multicast() {
                Some("a multicast address")
            } else if s[0] == 0x64 && s[1] == 0xff9b {
                // NAT64: the embedded IPv4 address decides.
                let v4 = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
                forbidden_v4(v4)
            } else {
                None
            }
        }
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_private() {
        Some("a private address")
    } else if ip.is_link_local() {
        Some("a link-local address (cloud metadata lives there)")
    } else if o[0] == 0 {
        Some("a 'this network' address")
    } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
        Some("a shared (carrier-grade NAT) address")
    } else if o[0] == 192 && o[1] == 0 && o[2] == 0 {
        Some("an IETF protocol address")
    } else if o[0] == 198 && (o[1] & 0xfe) == 18 {
        Some("a benchmarking address")
    } else if ip.is_multicast() || o[0] >= 240 || ip.is_broadcast() {
        Some("a multicast or reserved address")
    } else {
        None
    }
}

/// A resolver that drops forbidden addresses (the connection can then only go to an
/// allowed one) and fails when none is left.
#[derive(Debug, Clone)]
struct GuardedResolver {
    allowed_hosts: Arc<Vec<String>>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allowed_hosts = self.allowed_hosts.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let trusted = allowed_hosts.iter().any(|h| h.eq_ignore_ascii_case(&host));
            let kept: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| trusted || forbidden(a.ip()).is_none())
                .collect();
            if kept.is_empty() {
                return Err(format!("{host} resolves only to addresses refnet will not connect to").into());
            }
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
}

/// Downloads PDFs.
#[derive(Debug, Clone)]
pub struct PdfFetcher {
    client: reqwest::Client,
    allow_private: bool,
    allowed_hosts: Arc<Vec<String>>,
    max_bytes: u64,
    timeout: Duration,
}

impl PdfFetcher {
    /// A fetcher with the configured limits.
    pub fn new(settings: &PdfSettings) -> Result<Self, reqwest::Error> {
        let allowed_hosts = Arc::new(
            settings
                .allow_hosts
                .iter()
                .map(|h| h.split(':').next().unwrap_or(h).to_ascii_lowercase())
                .collect::<Vec<_>>(),
        );
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(15));
        if !settings.allow_private_hosts {
            builder = builder.dns_resolver(Arc::new(GuardedResolver {
                allowed_hosts: allowed_hosts.clone(),
            }));
        }
        Ok(Self {
            client: builder.build()?,
            allow_private: settings.allow_private_hosts,
            allowed_hosts: Arc::new(settings.allow_hosts.iter().map(|h| h.to_ascii_lowercase()).collect()),
            max_bytes: settings.max_bytes,
            timeout: settings.timeout,
        })
    }

    /// Downloads a PDF, following at most [`MAX_REDIRECTS`] checked redirects.
    pub async fn fetch(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        let secs = self.timeout.as_secs();
        match tokio::time::timeout(self.timeout, self.follow(url)).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout {
                url: url.to_owned(),
                secs,
            }),
        }
    }

    async fn follow(&self, start: &str) -> Result<Vec<u8>, FetchError> {
        let mut url = Url::parse(start.trim()).map_err(|e| FetchError::Refused {
            url: start.to_owned(),
            why: format!("not a URL ({e})"),
        })?;
        for hop in 0..=MAX_REDIRECTS {
            self.check(&url)?;
            let resp = self
                .client
                .get(url.clone())
                .send()
                .await
                .map_err(|e| network(&url, &e))?;
            let status = resp.status();
            if status.is_redirection() {
                let next = resp
                    .headers()
                    .get(LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| url.join(l).ok())
                    .ok_or_else(|| FetchError::Refused {
                        url: url.to_string(),
                        why: "a redirect without a usable Location".to_owned(),
                    })?;
                if hop == MAX_REDIRECTS {
                    break;
                }
                url = next;
                continue;
            }
            if !status.is_success() {
                return Err(FetchError::Status {
                    url: url.to_string(),
                    status: status.as_u16(),
                });
            }
            return self.read_pdf(&url, resp).await;
        }
        Err(FetchError::Refused {
            url: start.to_owned(),
            why: format!("more than {MAX_REDIRECTS} redirects"),
        })
    }

    /// Refuses schemes and addresses refnet will not fetch from.
    fn check(&self, url: &Url) -> Result<(), FetchError> {
        let refuse = |why: String| FetchError::Refused {
            url: url.to_string(),
            why,
        };
        if !matches!(url.scheme(), "http" | "https") {
            return Err(refuse(format!(
                "the {} scheme (only http and https are fetched)",
                url.scheme()
            )));
        }
        let host = url.host_str().ok_or_else(|| refuse("no host".to_owned()))?;
        let with_port = url
            .port_or_known_default()
            .map(|p| format!("{host}:{p}"))
            .unwrap_or_default();
        let trusted = self
            .allowed_hosts
            .iter()
            .any(|h| h == &host.to_ascii_lowercase() || h == &with_port);
        if self.allow_private || trusted {
            return Ok(());
        }
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        if let Some(ip) = literal
            && let Some(why) = forbidden(ip)
        {
            return Err(refuse(format!(
                "{ip} is {why}; set REFNET_ALLOW_PRIVATE_HOSTS=1 to allow it"
            )));
        }
        if host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost") {
            return Err(refuse(
                "localhost is a loopback name; set REFNET_ALLOW_PRIVATE_HOSTS=1 to allow it".to_owned(),
            ));
        }
        Ok(())
    }

    /// Reads the body within the cap and checks it is a PDF.
    async fn read_pdf(&self, url: &Url, mut resp: reqwest::Response) -> Result<Vec<u8>, FetchError> {
        let content_type = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.starts_with("text/html") || content_type.starts_with("application/xhtml") {
            return Err(FetchError::LandingPage { url: url.to_string() });
        }
        let too_large = || FetchError::TooLarge {
            url: url.to_string(),
            limit_mb: self.max_bytes / (1024 * 1024),
        };
        let announced: Option<u64> = resp
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        if announced.is_some_and(|n| n > self.max_bytes) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| network(url, &e))? {
            if (body.len() + chunk.len()) as u64 > self.max_bytes {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        let head = &body[..body.len().min(1024)];
        if head.windows(5).any(|w| w == b"%PDF-") {
            return Ok(body);
        }
        let lower = String::from_utf8_lossy(head).to_ascii_lowercase();
        if lower.contains("<html") || lower.contains("<!doctype html") {
            return Err(FetchError::LandingPage { url: url.to_string() });
        }
        Err(FetchError::NotPdf {
            url: url.to_string(),
            what: if content_type.is_empty() {
                "no %PDF- header".to_owned()
            } else {
                format!("{content_type} without a %PDF- header")
            },
        })
    }
}

fn network(url: &Url, e: &reqwest::Error) -> FetchError {
    let reason = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        // The guarded resolver's refusal surfaces as a connect error.
        let text = format!("{e:#}");
        if text.contains("will not connect") {
            return FetchError::Refused {
                url: url.to_string(),
                why: "its host resolves only to private or loopback addresses; set REFNET_ALLOW_PRIVATE_HOSTS=1 to allow them"
                    .to_owned(),
            };
        }
        "connection failed".to_owned()
    } else {
        let mut text = e.to_string();
        text = text.replace(url.as_str(), "the URL");
        text.chars().take(120).collect()
    };
    FetchError::Network {
        url: url.to_string(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_link_local_and_metadata_addresses_are_forbidden() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
        ] {
            let parsed: IpAddr = ip.parse().expect("ip");
            assert!(forbidden(parsed).is_some(), "{ip} should be forbidden");
        }
        for ip in [
            "8.8.8.8",
            "140.82.112.3",
            "172.32.0.1",
            "2606:4700::6810:85e5",
            "64:ff9b::808:808",
        ] {
            let parsed: IpAddr = ip.parse().expect("ip");
            assert_eq!(forbidden(parsed), None, "{ip} should be allowed");
        }
    }
}

//! `qindex lsp`: a Language Server Protocol server over stdio (the `lsp-server` crate for the
//! protocol, `lsp-types` for its messages). It keeps one checked [`Document`] per open file and
//! answers from it: the diagnostics of `qindex check` as you type, hover with a node's
//! weights, go to definition, the outline and formatting equal to `qindex fmt`.
//!
//! Changes are applied in order; diagnostics are computed once the queue of incoming messages
//! is empty (a burst of keystrokes is checked once), and always for the latest text, with its
//! version, so an older version's diagnostics never reach the editor.

pub mod document;
pub mod position;

use crate::diagnostics::Severity;
use crate::source::Span;
use document::Document;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types as lt;
use std::collections::HashMap;
use std::path::PathBuf;

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Serves one client over `connection` until it shuts down.
pub fn serve(connection: &Connection) -> Result<(), Failure> {
    let capabilities = lt::ServerCapabilities {
        text_document_sync: Some(lt::TextDocumentSyncCapability::Kind(
            lt::TextDocumentSyncKind::FULL,
        )),
        hover_provider: Some(lt::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lt::OneOf::Left(true)),
        document_formatting_provider: Some(lt::OneOf::Left(true)),
        document_symbol_provider: Some(lt::OneOf::Left(true)),
        completion_provider: Some(lt::CompletionOptions {
            trigger_characters: Some(vec![" ".into(), "=".into(), "(".into()]),
            ..Default::default()
        }),
        ..Default::default()
    };
    connection.initialize(serde_json::to_value(capabilities)?)?;
    let mut server = Server::default();
    loop {
        let Ok(message) = connection.receiver.recv() else {
            return Ok(());
        };
        let mut queue = vec![message];
        // Everything already waiting, so that a burst of changes is checked once.
        while let Ok(m) = connection.receiver.try_recv() {
            queue.push(m);
        }
        for message in queue {
            match message {
                Message::Request(req) => {
                    if connection.handle_shutdown(&req)? {
                        return Ok(());
                    }
                    server.publish(connection)?;
                    let response = server.request(req);
                    connection.sender.send(Message::Response(response))?;
                }
                Message::Notification(n) => server.notification(n),
                Message::Response(_) => {}
            }
        }
        server.publish(connection)?;
    }
}

/// An open file: its latest text and version, and the checked document once computed.
struct Open {
    path: PathBuf,
    text: String,
    version: i32,
    doc: Option<Document>,
    /// The plans of the last version that compiled, kept across edits that break the text.
    good: Option<crate::check::Checked>,
}

#[derive(Default)]
struct Server {
    open: HashMap<String, Open>,
    /// Files whose text changed since their diagnostics were published.
    dirty: Vec<String>,
}

impl Server {
    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            "textDocument/didOpen" => {
                let Ok(p) = serde_json::from_value::<lt::DidOpenTextDocumentParams>(n.params)
                else {
                    return;
                };
                let uri = p.text_document.uri.as_str().to_string();
                self.open.insert(
                    uri.clone(),
                    Open {
                        path: path_of(&uri),
                        text: p.text_document.text,
                        version: p.text_document.version,
                        doc: None,
                        good: None,
                    },
                );
                self.touch(uri);
            }
            "textDocument/didChange" => {
                let Ok(p) = serde_json::from_value::<lt::DidChangeTextDocumentParams>(n.params)
                else {
                    return;
                };
                let uri = p.text_document.uri.as_str().to_string();
                let Some(open) = self.open.get_mut(&uri) else {
                    return;
                };
                // Full synchronisation: the last change holds the whole text.
                if let Some(change) = p.content_changes.into_iter().next_back() {
                    open.text = change.text;
                    open.version = p.text_document.version;
                    // Keep the plans of the last version that compiled, for completion.
                    if let Some(doc) = open.doc.take() {
                        if doc.compiles() {
                            open.good = doc.checked;
                        } else if doc.previous.is_some() {
                            open.good = doc.previous;
                        }
                    }
                    self.touch(uri);
                }
            }
            "textDocument/didClose" => {
                let Ok(p) = serde_json::from_value::<lt::DidCloseTextDocumentParams>(n.params)
                else {
                    return;
                };
                let uri = p.text_document.uri.as_str().to_string();
                self.open.remove(&uri);
                self.dirty.retain(|u| *u != uri);
            }
            _ => {}
        }
    }

    fn touch(&mut self, uri: String) {
        if !self.dirty.contains(&uri) {
            self.dirty.push(uri);
        }
    }

    /// The checked document of `uri`, checking its latest text when needed.
    fn document(&mut self, uri: &str) -> Option<&Document> {
        let open = self.open.get_mut(uri)?;
        if open.doc.is_none() {
            let mut doc = Document::new(&open.path, &open.text, open.version);
            if !doc.compiles() {
                doc.previous = open.good.take();
            } else {
                open.good = None;
            }
            open.doc = Some(doc);
        }
        open.doc.as_ref()
    }

    /// Publishes the diagnostics of every file that changed.
    fn publish(&mut self, connection: &Connection) -> Result<(), Failure> {
        for uri in std::mem::take(&mut self.dirty) {
            let Some(doc) = self.document(&uri) else {
                continue;
            };
            let params = lt::PublishDiagnosticsParams {
                uri: uri.parse()?,
                diagnostics: diagnostics(doc),
                version: Some(doc.version),
            };
            connection
                .sender
                .send(Message::Notification(Notification::new(
                    "textDocument/publishDiagnostics".into(),
                    params,
                )))?;
        }
        Ok(())
    }

    fn request(&mut self, req: Request) -> Response {
        let id = req.id.clone();
        let outcome = match req.method.as_str() {
            "textDocument/hover" => self.with_position(req, |doc, offset| {
                doc.hover(offset).map(|text| lt::Hover {
                    contents: lt::HoverContents::Markup(lt::MarkupContent {
                        kind: lt::MarkupKind::Markdown,
                        value: text,
                    }),
                    range: None,
                })
            }),
            "textDocument/definition" => self.with_position(req, |doc, offset| {
                let span = doc.definition(offset)?;
                location(doc, span).map(lt::GotoDefinitionResponse::Scalar)
            }),
            "textDocument/completion" => self.with_position(req, |doc, offset| {
                let items: Vec<lt::CompletionItem> = doc
                    .completion(offset)
                    .into_iter()
                    .map(|c| lt::CompletionItem {
                        label: c.label,
                        kind: Some(match c.kind {
                            document::CompletionKind::Keyword => lt::CompletionItemKind::KEYWORD,
                            document::CompletionKind::Method => lt::CompletionItemKind::ENUM_MEMBER,
                            document::CompletionKind::Node => lt::CompletionItemKind::FIELD,
                            document::CompletionKind::Column => lt::CompletionItemKind::VARIABLE,
                            document::CompletionKind::Let => lt::CompletionItemKind::CONSTANT,
                        }),
                        detail: c.detail,
                        ..Default::default()
                    })
                    .collect();
                Some(lt::CompletionResponse::Array(items))
            }),
            "textDocument/formatting" => self.with_document::<lt::DocumentFormattingParams, _>(
                req,
                |p| p.text_document.uri,
                formatting,
            ),
            "textDocument/documentSymbol" => self.with_document::<lt::DocumentSymbolParams, _>(
                req,
                |p| p.text_document.uri,
                |doc| {
                    Some(lt::DocumentSymbolResponse::Nested(
                        doc.outline().iter().map(|o| symbol(doc, o)).collect(),
                    ))
                },
            ),
            other => Err(Response::new_err(
                id.clone(),
                ErrorCode::MethodNotFound as i32,
                format!("qindex lsp does not handle `{other}`"),
            )),
        };
        outcome.unwrap_or_else(|e| e)
    }

    /// Answers a request about a position in an open file with `f(document, byte offset)`.
    fn with_position<R: serde::Serialize>(
        &mut self,
        req: Request,
        f: impl FnOnce(&Document, usize) -> Option<R>,
    ) -> Result<Response, Response> {
        let id = req.id.clone();
        let p: lt::TextDocumentPositionParams =
            serde_json::from_value(req.params).map_err(|e| invalid(&id, e))?;
        let uri = p.text_document.uri.as_str().to_string();
        let doc = self.document(&uri).ok_or_else(|| not_open(&id, &uri))?;
        let offset = offset_of(doc, p.position);
        Ok(Response::new_ok(id, f(doc, offset)))
    }

    /// Answers a request about an open file with `f(document)` (`null` when it gives nothing).
    fn with_document<P: serde::de::DeserializeOwned, R: serde::Serialize>(
        &mut self,
        req: Request,
        uri_of: impl FnOnce(P) -> lt::Uri,
        f: impl FnOnce(&Document) -> Option<R>,
    ) -> Result<Response, Response> {
        let id = req.id.clone();
        let params: P = serde_json::from_value(req.params).map_err(|e| invalid(&id, e))?;
        let uri = uri_of(params).as_str().to_string();
        let doc = self.document(&uri).ok_or_else(|| not_open(&id, &uri))?;
        Ok(Response::new_ok(id, f(doc)))
    }
}

fn invalid(id: &RequestId, e: serde_json::Error) -> Response {
    Response::new_err(
        id.clone(),
        ErrorCode::InvalidParams as i32,
        format!("malformed parameters: {e}"),
    )
}

fn not_open(id: &RequestId, uri: &str) -> Response {
    Response::new_err(
        id.clone(),
        ErrorCode::InvalidParams as i32,
        format!("{uri} is not open"),
    )
}

/// The file a `file:` URI names (percent-escapes decoded); other schemes as written.
pub fn path_of(uri: &str) -> PathBuf {
    let Some(rest) = uri.strip_prefix("file://") else {
        return PathBuf::from(uri);
    };
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    PathBuf::from(String::from_utf8_lossy(&out).into_owned())
}

/// The byte offset of an editor position in the document's text (the byte-order mark, when
/// the editor's text has one, counts one unit on line 0).
fn offset_of(doc: &Document, p: lt::Position) -> usize {
    let p = if doc.bom && p.line == 0 {
        lt::Position::new(0, p.character.saturating_sub(1))
    } else {
        p
    };
    doc.lines.offset(&doc.text, p)
}

/// The editor range of a span in the document's own text.
fn own_range(doc: &Document, span: Span) -> lt::Range {
    let shift = |mut p: lt::Position| {
        if doc.bom && p.line == 0 {
            p.character += 1;
        }
        p
    };
    lt::Range::new(
        shift(doc.lines.position(&doc.text, span.start as usize)),
        shift(doc.lines.position(&doc.text, span.end as usize)),
    )
}

/// The location of a span in any file of the document's program.
fn location(doc: &Document, span: Span) -> Option<lt::Location> {
    if doc.is_own(span) {
        let program = doc.program.as_ref()?;
        let path = &program.sources.get(span.file).path;
        return Some(lt::Location::new(uri_of(path)?, own_range(doc, span)));
    }
    let program = doc.program.as_ref()?;
    let file = program.sources.get(span.file);
    let lines = position::LineIndex::new(&file.text);
    let range = lt::Range::new(
        lines.position(&file.text, span.start as usize),
        lines.position(&file.text, span.end as usize),
    );
    Some(lt::Location::new(uri_of(&file.path)?, range))
}

/// A `file:` URI for a path (made absolute), with the characters URIs reserve escaped.
pub fn uri_of(path: &std::path::Path) -> Option<lt::Uri> {
    let abs = std::path::absolute(path).ok()?;
    let mut text = String::from("file://");
    for b in abs.to_string_lossy().bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                text.push(b as char)
            }
            _ => text.push_str(&format!("%{b:02X}")),
        }
    }
    text.parse().ok()
}

/// The document's diagnostics in the editor's terms: those in this file at their range, those
/// in a `use`d file at the top of this file with the location in the message; hints and notes
/// appended to the message, related spans as related information.
fn diagnostics(doc: &Document) -> Vec<lt::Diagnostic> {
    doc.diagnostics
        .iter()
        .map(|d| {
            let mut message = d.message.clone();
            let range = match d.span {
                Some(s) if doc.is_own(s) => own_range(doc, s),
                Some(s) => {
                    if let Some(l) = location(doc, s) {
                        message.push_str(&format!(
                            " (in {}:{})",
                            path_of(l.uri.as_str()).display(),
                            l.range.start.line + 1
                        ));
                    }
                    lt::Range::default()
                }
                None => lt::Range::default(),
            };
            if let Some(label) = &d.label {
                message.push_str(&format!("\n{label}"));
            }
            for n in &d.notes {
                message.push_str(&format!("\nnote: {n}"));
            }
            if let Some(h) = &d.hint {
                message.push_str(&format!("\nhint: {h}"));
            }
            let related: Vec<lt::DiagnosticRelatedInformation> = d
                .related
                .iter()
                .filter_map(|(s, text)| {
                    Some(lt::DiagnosticRelatedInformation {
                        location: location(doc, *s)?,
                        message: text.clone(),
                    })
                })
                .collect();
            lt::Diagnostic {
                range,
                severity: Some(match d.severity {
                    Severity::Error => lt::DiagnosticSeverity::ERROR,
                    Severity::Warning => lt::DiagnosticSeverity::WARNING,
                }),
                code: Some(lt::NumberOrString::String(d.code.to_string())),
                source: Some("qindex".into()),
                message,
                related_information: (!related.is_empty()).then_some(related),
                ..Default::default()
            }
        })
        .collect()
}

/// The edits that make the document what `qindex fmt` makes of it: none when it is already
/// formatted or does not parse.
fn formatting(doc: &Document) -> Option<Vec<lt::TextEdit>> {
    let formatted = crate::syntax::fmt::format_source(&doc.text).ok()?;
    if formatted == doc.text {
        return Some(Vec::new());
    }
    let end = own_range(
        doc,
        Span::new(crate::source::FileId(0), doc.text.len(), doc.text.len()),
    )
    .end;
    Some(vec![lt::TextEdit::new(
        lt::Range::new(lt::Position::new(0, 0), end),
        formatted,
    )])
}

#[allow(deprecated)] // `DocumentSymbol::deprecated` must be given; it is `None`.
fn symbol(doc: &Document, o: &document::Outline) -> lt::DocumentSymbol {
    lt::DocumentSymbol {
        name: o.id.clone(),
        detail: o.label.clone(),
        kind: match o.kind {
            crate::plan::NodeKind::Index => lt::SymbolKind::MODULE,
            crate::plan::NodeKind::Group => lt::SymbolKind::NAMESPACE,
            crate::plan::NodeKind::Indicator => lt::SymbolKind::FIELD,
        },
        tags: None,
        deprecated: None,
        range: own_range(doc, o.span),
        selection_range: own_range(doc, o.name),
        children: Some(o.children.iter().map(|c| symbol(doc, c)).collect()),
    }
}

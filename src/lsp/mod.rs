//! `qindex lsp`: a Language Server Protocol server over stdio (the `lsp-server` crate for the
//! protocol, `lsp-types` for its messages). It keeps one checked [`Document`] per open file and
//! answers from it: the diagnostics of `qindex check` as you type, hover with a node's
//! weights, go to definition and references, rename, completion, the outline, semantic
//! tokens and formatting equal to `qindex fmt`.
//!
//! Changes are applied in order; diagnostics are published once no change has come for a
//! moment ([`DEBOUNCE`]; requests are answered meanwhile), and always for the latest text,
//! with its version, so an older version's diagnostics never reach the editor. Diagnostics in
//! a `use`d file are also published under that file's URI (and cleared once it is fixed).

pub mod document;
pub mod names;
pub mod position;
pub mod rename;

use crate::diagnostics::Severity;
use crate::source::Span;
use crate::syntax::tokens::TokenKind;
use document::Document;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types as lt;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long after the last change diagnostics are published: typing does not check every
/// keystroke's text, and a pause shows the result at once. Clients may set another with the
/// initialization option `debounceMs`.
pub const DEBOUNCE: Duration = Duration::from_millis(75);

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
        references_provider: Some(lt::OneOf::Left(true)),
        rename_provider: Some(lt::OneOf::Right(lt::RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        semantic_tokens_provider: Some(
            lt::SemanticTokensOptions {
                legend: legend(),
                full: Some(lt::SemanticTokensFullOptions::Bool(true)),
                ..Default::default()
            }
            .into(),
        ),
        ..Default::default()
    };
    let init = connection.initialize(serde_json::to_value(capabilities)?)?;
    let debounce = init
        .pointer("/initializationOptions/debounceMs")
        .and_then(serde_json::Value::as_u64)
        // At most a minute: a larger value would be a client's mistake (and could overflow).
        .map_or(DEBOUNCE, |ms| Duration::from_millis(ms.min(60_000)));
    let mut server = Server::default();
    // When the diagnostics of the files changed are due.
    let mut due: Option<Instant> = None;
    loop {
        let message = match due {
            Some(at) => match connection.receiver.recv_deadline(at) {
                Ok(m) => Some(m),
                Err(e) if e.is_timeout() => None,
                Err(_) => return Ok(()),
            },
            None => match connection.receiver.recv() {
                Ok(m) => Some(m),
                Err(_) => return Ok(()),
            },
        };
        let Some(message) = message else {
            server.publish(connection)?;
            due = None;
            continue;
        };
        match message {
            Message::Request(req) => {
                if connection.handle_shutdown(&req)? {
                    return Ok(());
                }
                let response = server.request(req);
                connection.sender.send(Message::Response(response))?;
            }
            Message::Notification(n) => {
                let opened = n.method == "textDocument/didOpen";
                if server.notification(n) {
                    // A file just opened is checked at once; a change waits for a pause.
                    let at = Instant::now() + if opened { Duration::ZERO } else { debounce };
                    due = Some(match due {
                        Some(d) if opened => d.min(at),
                        _ => at,
                    });
                }
            }
            Message::Response(_) => {}
        }
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
    /// The `use`d files this file's diagnostics were last published for (to clear them).
    used: Vec<String>,
}

impl Open {
    /// Drops the checked document, to be checked again; keeps the plans of the last version
    /// that compiled, for completion.
    fn invalidate(&mut self) {
        if let Some(doc) = self.doc.take() {
            if doc.compiles() {
                self.good = doc.checked;
            } else if doc.previous.is_some() {
                self.good = doc.previous;
            }
        }
    }
}

#[derive(Default)]
struct Server {
    open: HashMap<String, Open>,
    /// Files whose text changed since their diagnostics were published.
    dirty: Vec<String>,
    /// Files not open whose published diagnostics are to be cleared.
    cleared: Vec<String>,
}

impl Server {
    /// Handles a notification; whether an open file's text changed.
    fn notification(&mut self, n: Notification) -> bool {
        match n.method.as_str() {
            "textDocument/didOpen" => {
                let Ok(p) = serde_json::from_value::<lt::DidOpenTextDocumentParams>(n.params)
                else {
                    return false;
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
                        used: Vec::new(),
                    },
                );
                self.touch(uri.clone());
                // Checked at once: its plans are what completion falls back on while the
                // changes that follow do not compile.
                self.document(&uri);
                true
            }
            "textDocument/didChange" => {
                let Ok(p) = serde_json::from_value::<lt::DidChangeTextDocumentParams>(n.params)
                else {
                    return false;
                };
                let uri = p.text_document.uri.as_str().to_string();
                let Some(open) = self.open.get_mut(&uri) else {
                    return false;
                };
                // Full synchronisation: the last change holds the whole text.
                if let Some(change) = p.content_changes.into_iter().next_back() {
                    open.text = change.text;
                    open.version = p.text_document.version;
                    open.invalidate();
                    self.touch(uri);
                    return true;
                }
                false
            }
            "textDocument/didClose" => {
                let Ok(p) = serde_json::from_value::<lt::DidCloseTextDocumentParams>(n.params)
                else {
                    return false;
                };
                let uri = p.text_document.uri.as_str().to_string();
                let Some(closed) = self.open.remove(&uri) else {
                    return false;
                };
                self.dirty.retain(|u| *u != uri);
                // The used files' diagnostics it published go with it; the files that use it
                // read the saved file again.
                self.cleared.extend(closed.used);
                self.dependents_changed(&uri, &closed.path);
                true
            }
            _ => false,
        }
    }

    /// Marks `uri` for new diagnostics, and the open files that `use` it for a new check.
    fn touch(&mut self, uri: String) {
        if let Some(path) = self.open.get(&uri).map(|o| o.path.clone()) {
            self.dependents_changed(&uri, &path);
        }
        if !self.dirty.contains(&uri) {
            self.dirty.push(uri);
        }
    }

    /// The open files other than `uri` whose programs read the file at `path` are checked
    /// again (with its new text, or the saved file once it is closed).
    fn dependents_changed(&mut self, uri: &str, path: &std::path::Path) {
        let path = crate::check::load::normalize(path);
        let mut stale = Vec::new();
        for (u, o) in &mut self.open {
            let reads = o
                .doc
                .as_ref()
                .and_then(|d| d.program.as_ref())
                .is_some_and(|p| {
                    p.sources
                        .iter()
                        .any(|(id, f)| id != p.root && f.path == path)
                });
            if u != uri && reads {
                o.invalidate();
                stale.push(u.clone());
            }
        }
        for u in stale {
            if !self.dirty.contains(&u) {
                self.dirty.push(u);
            }
        }
    }

    /// The checked document of `uri`, checking its latest text when needed.
    fn document(&mut self, uri: &str) -> Option<&Document> {
        if self.open.get(uri)?.doc.is_none() {
            // The files this one `use`s that are open are read as the editor has them.
            let others: HashMap<PathBuf, String> = self
                .open
                .iter()
                .filter(|(u, _)| *u != uri)
                .map(|(_, o)| {
                    let text = o.text.strip_prefix('\u{feff}').unwrap_or(&o.text);
                    (crate::check::load::normalize(&o.path), text.to_string())
                })
                .collect();
            let open = self.open.get_mut(uri)?;
            let mut doc = Document::with_open(&open.path, &open.text, open.version, &others);
            if !doc.compiles() {
                doc.previous = open.good.take();
            } else {
                open.good = None;
            }
            open.doc = Some(doc);
        }
        self.open.get(uri)?.doc.as_ref()
    }

    /// Publishes the diagnostics of every file that changed: its own, and those in each file
    /// it `use`s under that file's URI (unless that file is open: it has its own), clearing
    /// those of used files that have none now.
    fn publish(&mut self, connection: &Connection) -> Result<(), Failure> {
        let send = |uri: lt::Uri, diagnostics, version| {
            let params = lt::PublishDiagnosticsParams {
                uri,
                diagnostics,
                version,
            };
            connection
                .sender
                .send(Message::Notification(Notification::new(
                    "textDocument/publishDiagnostics".into(),
                    params,
                )))
        };
        for gone in std::mem::take(&mut self.cleared) {
            if self.open.contains_key(&gone) {
                continue;
            }
            if let Ok(u) = gone.parse() {
                send(u, Vec::new(), None)?;
            }
        }
        for uri in std::mem::take(&mut self.dirty) {
            let open_uris: Vec<String> = self.open.keys().cloned().collect();
            let Some(doc) = self.document(&uri) else {
                continue;
            };
            send(uri.parse()?, diagnostics(doc), Some(doc.version))?;
            let mut used: Vec<(String, Vec<lt::Diagnostic>)> = Vec::new();
            for (file, d) in used_diagnostics(doc) {
                if open_uris.contains(&file) {
                    continue;
                }
                match used.iter_mut().find(|(u, _)| *u == file) {
                    Some((_, list)) => list.push(d),
                    None => used.push((file, vec![d])),
                }
            }
            let Some(open) = self.open.get_mut(&uri) else {
                continue;
            };
            for gone in open
                .used
                .iter()
                .filter(|u| !used.iter().any(|(n, _)| n == *u))
            {
                if let Ok(u) = gone.parse() {
                    send(u, Vec::new(), None)?;
                }
            }
            open.used = used.iter().map(|(u, _)| u.clone()).collect();
            for (file, list) in used {
                if let Ok(u) = file.parse() {
                    send(u, list, None)?;
                }
            }
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
            "textDocument/references" => self.references(req),
            "textDocument/prepareRename" => self.prepare_rename(req),
            "textDocument/rename" => self.rename(req),
            "textDocument/semanticTokens/full" => self
                .with_document::<lt::SemanticTokensParams, _>(
                    req,
                    |p| p.text_document.uri,
                    |doc| Some(lt::SemanticTokensResult::Tokens(semantic_tokens(doc))),
                ),
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

    /// The checked documents for a request about `uri`: its own first, then every other open
    /// file's (by URI), each checked when needed.
    fn documents(&mut self, uri: &str) -> Option<Vec<&Document>> {
        let mut uris: Vec<String> = self.open.keys().cloned().collect();
        uris.sort();
        for u in &uris {
            self.document(u);
        }
        let mut docs = vec![self.open.get(uri)?.doc.as_ref()?];
        docs.extend(
            uris.iter()
                .filter(|u| *u != uri)
                .filter_map(|u| self.open.get(u)?.doc.as_ref()),
        );
        Some(docs)
    }

    /// Every place the node id or let at the position is written, in every file of its
    /// program and of the open files that `use` the file declaring it.
    fn references(&mut self, req: Request) -> Result<Response, Response> {
        let id = req.id.clone();
        let p: lt::ReferenceParams =
            serde_json::from_value(req.params).map_err(|e| invalid(&id, e))?;
        let at = p.text_document_position;
        let uri = at.text_document.uri.as_str().to_string();
        let docs = self.documents(&uri).ok_or_else(|| not_open(&id, &uri))?;
        let offset = offset_of(docs[0], at.position);
        let found = rename::references(&docs, offset, p.context.include_declaration).map(
            |(_, _, places)| {
                places
                    .iter()
                    .filter_map(|pl| location(docs[pl.doc], pl.span))
                    .collect::<Vec<_>>()
            },
        );
        Ok(Response::new_ok(id, found))
    }

    /// The range of the node id or let at the position, or why nothing there can be renamed.
    fn prepare_rename(&mut self, req: Request) -> Result<Response, Response> {
        let id = req.id.clone();
        let p: lt::TextDocumentPositionParams =
            serde_json::from_value(req.params).map_err(|e| invalid(&id, e))?;
        let uri = p.text_document.uri.as_str().to_string();
        let doc = self.document(&uri).ok_or_else(|| not_open(&id, &uri))?;
        let offset = offset_of(doc, p.position);
        let Some(o) = rename::name_at(doc, offset) else {
            return Err(failed(&id, "only a node id or a `let` name can be renamed"));
        };
        Ok(Response::new_ok(
            id,
            lt::PrepareRenameResponse::RangeWithPlaceholder {
                range: own_range(doc, o.span),
                placeholder: o.name.clone(),
            },
        ))
    }

    /// The edits, file by file, that rename the node id or let at the position; an error
    /// (and no edit) when the new name is not a name, is taken, or would change the results.
    // `WorkspaceEdit::changes` is keyed by `Uri`, whose parsed parts sit in cells; the map
    // only collects edits and is never mutated through a key.
    #[allow(clippy::mutable_key_type)]
    fn rename(&mut self, req: Request) -> Result<Response, Response> {
        let id = req.id.clone();
        let p: lt::RenameParams =
            serde_json::from_value(req.params).map_err(|e| invalid(&id, e))?;
        let at = p.text_document_position;
        let uri = at.text_document.uri.as_str().to_string();
        let docs = self.documents(&uri).ok_or_else(|| not_open(&id, &uri))?;
        let offset = offset_of(docs[0], at.position);
        let edits = rename::rename(&docs, offset, &p.new_name).map_err(|m| failed(&id, &m))?;
        let mut changes: HashMap<lt::Uri, Vec<lt::TextEdit>> = HashMap::new();
        for e in edits {
            let Some(l) = location(docs[e.place.doc], e.place.span) else {
                continue;
            };
            changes
                .entry(l.uri)
                .or_default()
                .push(lt::TextEdit::new(l.range, e.text));
        }
        Ok(Response::new_ok(
            id,
            lt::WorkspaceEdit {
                changes: Some(changes),
                ..Default::default()
            },
        ))
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

fn failed(id: &RequestId, message: &str) -> Response {
    Response::new_err(id.clone(), ErrorCode::RequestFailed as i32, message.into())
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
            convert(doc, d, range, message)
        })
        .collect()
}

/// The diagnostics that sit in a `use`d file, at their place in it: (its URI, diagnostic).
fn used_diagnostics(doc: &Document) -> Vec<(String, lt::Diagnostic)> {
    doc.diagnostics
        .iter()
        .filter_map(|d| {
            let s = d.span.filter(|s| !doc.is_own(*s))?;
            let l = location(doc, s)?;
            let converted = convert(doc, d, l.range, d.message.clone());
            Some((l.uri.as_str().to_string(), converted))
        })
        .collect()
}

/// One diagnostic at `range` with `message`, its label, notes and hint appended.
fn convert(
    doc: &Document,
    d: &crate::diagnostics::Diagnostic,
    range: lt::Range,
    mut message: String,
) -> lt::Diagnostic {
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
}

/// The semantic token types, in the legend's order, for each kind of token.
const TOKEN_TYPES: &[(TokenKind, lt::SemanticTokenType)] = &[
    (TokenKind::Keyword, lt::SemanticTokenType::KEYWORD),
    (TokenKind::Operator, lt::SemanticTokenType::OPERATOR),
    (TokenKind::Node, lt::SemanticTokenType::VARIABLE),
    (TokenKind::Let, lt::SemanticTokenType::PARAMETER),
    (TokenKind::Column, lt::SemanticTokenType::PROPERTY),
    (TokenKind::Method, lt::SemanticTokenType::ENUM_MEMBER),
    (TokenKind::Function, lt::SemanticTokenType::FUNCTION),
    (TokenKind::Scheme, lt::SemanticTokenType::CLASS),
    (TokenKind::Survey, lt::SemanticTokenType::NAMESPACE),
    (TokenKind::Dimension, lt::SemanticTokenType::TYPE),
    (TokenKind::Tag, lt::SemanticTokenType::DECORATOR),
    (TokenKind::String, lt::SemanticTokenType::STRING),
    (TokenKind::Number, lt::SemanticTokenType::NUMBER),
    (TokenKind::Comment, lt::SemanticTokenType::COMMENT),
];

/// The legend of [`semantic_tokens`]: the types of [`TOKEN_TYPES`], and one modifier,
/// `declaration` (bit 0), on the name a declaration declares.
pub fn legend() -> lt::SemanticTokensLegend {
    lt::SemanticTokensLegend {
        token_types: TOKEN_TYPES.iter().map(|(_, t)| t.clone()).collect(),
        token_modifiers: vec![lt::SemanticTokenModifier::DECLARATION],
    }
}

/// The document's semantic tokens, from the grammar's parse of its text ([`crate::syntax::tokens`]),
/// encoded as LSP wants them: each relative to the previous, columns and lengths in UTF-16
/// units. A name in an expression is a `let` when the program declares one, else a column.
fn semantic_tokens(doc: &Document) -> lt::SemanticTokens {
    let lets: Vec<&str> = doc
        .names
        .occurrences
        .iter()
        .filter(|o| o.kind == names::NameKind::Let && o.declaration)
        .map(|o| o.name.as_str())
        .collect();
    let mut data = Vec::new();
    let (mut line, mut character) = (0u32, 0u32);
    for t in crate::syntax::tokens::tokens(&doc.text) {
        let Some(text) = doc.text.get(t.start..t.end) else {
            continue;
        };
        if text.contains('\n') {
            continue;
        }
        let kind = match t.kind {
            TokenKind::Name if lets.contains(&text) => TokenKind::Let,
            TokenKind::Name => TokenKind::Column,
            k => k,
        };
        let Some(index) = TOKEN_TYPES.iter().position(|(k, _)| *k == kind) else {
            continue;
        };
        let start = own_range(doc, Span::new(crate::source::FileId(0), t.start, t.start)).start;
        // Tokens come in order, without overlaps.
        let delta_line = start.line.saturating_sub(line);
        let delta_start = if delta_line == 0 {
            start.character.saturating_sub(character)
        } else {
            start.character
        };
        data.push(lt::SemanticToken {
            delta_line,
            delta_start,
            length: text.encode_utf16().count() as u32,
            token_type: index as u32,
            token_modifiers_bitset: u32::from(t.declaration),
        });
        (line, character) = (start.line, start.character);
    }
    lt::SemanticTokens {
        result_id: None,
        data,
    }
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

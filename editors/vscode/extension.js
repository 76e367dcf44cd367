// The qindex extension: starts `qindex lsp` (the binary of the setting `qindex.path`) for
// `.qi` files and speaks the Language Server Protocol with it over standard input and output.
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function start() {
  const command = vscode.workspace.getConfiguration('qindex').get('path') || 'qindex';
  // With the stdio transport the client adds `--stdio`, which `qindex lsp` accepts.
  const serverOptions = { command, args: ['lsp'], transport: TransportKind.stdio };
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'qindex' },
      { scheme: 'untitled', language: 'qindex' },
    ],
  };
  client = new LanguageClient('qindex', 'qindex language server', serverOptions, clientOptions);
  return client.start().catch((e) => {
    vscode.window.showErrorMessage(
      `qindex: could not start \`${command} lsp\` (${e.message}); set "qindex.path" to the qindex binary.`
    );
  });
}

async function stop() {
  if (client) {
    const c = client;
    client = undefined;
    await c.stop();
  }
}

function activate(context) {
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration('qindex.path')) {
        await stop();
        await start();
      }
    }),
    { dispose: stop }
  );
  return start();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };

-- Headless Neovim as an independent LSP client of bpf-atlas: starts the server command, opens a
-- file, waits for its diagnostics, asks for completion and hover, and prints one JSON object on
-- stdout (headless `print` goes to stderr). Works on Neovim 0.7 (Debian bookworm) and later.
-- Env: LSP_CMD (JSON array), LSP_FILE, LSP_FILETYPE, LSP_SETTINGS (JSON, the server's settings),
--      COMPLETION_POS / HOVER_POS / DEFINITION_POS ("line,character", 0-based LSP positions),
--      SYMBOLS=1 (textDocument/documentSymbol), CODELENS=1 (textDocument/codeLens, each lens
--      resolved with codeLens/resolve when it has no command), LSP_TIMEOUT_MS.
local function env(k, default)
  local v = os.getenv(k)
  if v == nil or v == '' then return default end
  return v
end
local cmd = vim.fn.json_decode(env('LSP_CMD', '["bpf-atlas","lsp","--stdio"]'))
local file = vim.fn.fnamemodify(env('LSP_FILE', 'probes.bpf.c'), ':p')
local settings = vim.fn.json_decode(env('LSP_SETTINGS', '{}'))
local timeout = tonumber(env('LSP_TIMEOUT_MS', '30000'))
local function pos(s)
  local l, c = s:match('(%d+),(%d+)')
  return { line = tonumber(l), character = tonumber(c) }
end

local out = { nvim = vim.version(), file = file }
local function finish(code)
  io.stdout:write(vim.fn.json_encode(out) .. '\n')
  io.stdout:flush()
  vim.lsp.stop_client(vim.lsp.get_active_clients(), true)
  vim.cmd(code == 0 and 'qall!' or ('cquit! ' .. code))
end

local ok, err = pcall(function()
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  vim.bo.filetype = env('LSP_FILETYPE', 'c')
  local bufnr = vim.api.nvim_get_current_buf()
  local initialized, diagnostics = false, nil
  local client_id = vim.lsp.start_client({
    name = 'bpf-atlas',
    cmd = cmd,
    root_dir = vim.fn.fnamemodify(file, ':h'),
    -- Neovim 0.7 does not announce workspace/configuration, so the server takes its settings from
    -- initializationOptions (later versions are also answered from `settings`).
    settings = settings,
    init_options = { settings = settings.bpfAtlas },
    on_init = function(_, result)
      initialized = true
      out.serverInfo = result.serverInfo
    end,
    on_exit = function(code, signal) out.server_exit = { code = code, signal = signal } end,
    handlers = {
      ['textDocument/publishDiagnostics'] = function(_, result)
        if result and result.uri == vim.uri_from_bufnr(bufnr) then diagnostics = result.diagnostics end
      end,
      -- Settings problems and other messages, kept for the test to see.
      ['window/showMessage'] = function(_, result)
        out.messages = out.messages or {}
        table.insert(out.messages, result.message)
      end,
      ['window/logMessage'] = function(_, result)
        out.log = out.log or {}
        table.insert(out.log, result.message)
      end,
    },
  })
  assert(client_id, 'start_client failed')
  vim.lsp.buf_attach_client(bufnr, client_id)
  assert(vim.wait(timeout, function() return initialized end, 20), 'server did not initialize in time')
  assert(vim.wait(timeout, function() return diagnostics ~= nil end, 20), 'no diagnostics published in time')

  local client = vim.lsp.get_client_by_id(client_id)
  local uri = vim.uri_from_bufnr(bufnr)
  local function request(method, p)
    local res, e = client.request_sync(method, { textDocument = { uri = uri }, position = p }, timeout, bufnr)
    if not res then return { error = tostring(e) } end
    if res.err then return { error = res.err } end
    return { result = res.result }
  end
  local c = request('textDocument/completion', pos(env('COMPLETION_POS', '0,0')))
  if c.result then
    out.completion = {}
    for _, item in ipairs(c.result.items or c.result) do table.insert(out.completion, item.label) end
  else
    out.completion_error = c.error
  end
  local h = request('textDocument/hover', pos(env('HOVER_POS', '0,0')))
  out.hover = h.result or { error = h.error }
  local function plain(method, p)
    local res, e = client.request_sync(method, p, timeout, bufnr)
    if not res then return { error = tostring(e) } end
    if res.err then return { error = res.err } end
    return { result = res.result }
  end
  if env('SYMBOLS', '') == '1' then
    local r = plain('textDocument/documentSymbol', { textDocument = { uri = uri } })
    out.symbols = r.result or { error = r.error }
  end
  if env('CODELENS', '') == '1' then
    local r = plain('textDocument/codeLens', { textDocument = { uri = uri } })
    if r.result then
      out.codelens = {}
      for _, lens in ipairs(r.result) do
        if not lens.command then
          local resolved = plain('codeLens/resolve', lens)
          lens = resolved.result or { range = lens.range, error = resolved.error }
        end
        table.insert(out.codelens, lens)
      end
    else
      out.codelens = { error = r.error }
    end
  end
  if env('DEFINITION_POS', '') ~= '' then
    local r = request('textDocument/definition', pos(env('DEFINITION_POS', '0,0')))
    out.definition = r.result or { error = r.error }
    -- What the editor would show: the first lines of the file the first location names.
    local first = r.result and (r.result[1] or r.result)
    local target = first and (first.uri or first.targetUri)
    if target then
      local f = io.open(vim.uri_to_fname(target), 'r')
      if f then
        out.definition_text = f:read('*a')
        f:close()
      end
    end
  end
  -- The latest diagnostics (a first run that loads kernels may be followed by a fuller one).
  out.diagnostics = {}
  for _, d in ipairs(diagnostics) do
    table.insert(out.diagnostics, { line = d.range.start.line, severity = d.severity, code = d.code, message = d.message })
  end
end)
if not ok then
  out.error = tostring(err)
  finish(1)
else
  finish(0)
end

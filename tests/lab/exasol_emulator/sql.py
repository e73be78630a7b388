"""Tokenizer and parser for the SQL subset the emulator understands.

Identifier rules follow the Exasol SQL reference ("SQL identifier"): an unquoted identifier is
folded to upper case, a quoted one ("...") is kept as written with "" standing for one double
quote; string literals use single quotes with '' for one quote. Anything outside the grammar
below raises SqlError 42000 (syntax) or 0A000 (a valid Exasol statement the emulator does not
implement) - it never pretends to succeed.
"""

import re


class SqlError(Exception):
    """An Exasol error: text and five-character sqlCode."""

    def __init__(self, code, text):
        super().__init__(text)
        self.code = code
        self.text = text


class SessionKilled(SqlError):
    """KILL SESSION hit the session that sent it: the reply is this error, then the socket closes."""


SYNTAX = "42000"
NOT_SUPPORTED = "0A000"

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>--[^\n]*|/\*.*?\*/)
  | (?P<string>'(?:[^']|'')*')
  | (?P<quoted>"(?:[^"]|"")*")
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><>|!=|<=|>=|\|\||[=<>(),.*;+\-/])
""",
    re.VERBOSE | re.DOTALL,
)


class Token:
    __slots__ = ("kind", "value", "pos", "line", "col")

    def __init__(self, kind, value, pos, line, col):
        self.kind, self.value, self.pos, self.line, self.col = kind, value, pos, line, col

    def is_kw(self, *words):
        return self.kind == "word" and self.value in words

    def __repr__(self):
        return "Token(%s,%r)" % (self.kind, self.value)


def tokenize(text):
    tokens = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        if not match:
            raise SqlError(
                SYNTAX, "syntax error, unexpected character %r [line %d, column %d]" % (text[pos], line, col)
            )
        kind = match.lastgroup
        raw = match.group()
        if kind == "string":
            tokens.append(Token("string", raw[1:-1].replace("''", "'"), pos, line, col))
        elif kind == "quoted":
            name = raw[1:-1].replace('""', '"')
            if not name:
                raise SqlError(SYNTAX, "syntax error, empty quoted identifier [line %d, column %d]" % (line, col))
            tokens.append(Token("ident", name, pos, line, col))
        elif kind == "word":
            tokens.append(Token("word", raw.upper(), pos, line, col))
        elif kind in ("number", "op"):
            tokens.append(Token(kind, raw, pos, line, col))
        pos = match.end()
    return tokens


class Parser:
    """Recursive descent over the token list of one statement."""

    SCRIPT_HEAD = re.compile(
        r"\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:JAVA|PYTHON3?|LUA|R)\s+"
        r"(?:ADAPTER\s+|SCALAR\s+|SET\s+)?SCRIPT\s+.*?\bAS\b",
        re.IGNORECASE | re.DOTALL,
    )

    def __init__(self, text):
        self.text = text
        head = self.SCRIPT_HEAD.match(text)
        # a script body is not SQL: only the head up to AS is tokenized
        self.tokens = tokenize(text[: head.end()] if head else text)
        while self.tokens and self.tokens[-1].kind == "op" and self.tokens[-1].value == ";":
            self.tokens.pop()
        self.i = 0

    # helpers ----------------------------------------------------------------------------
    def peek(self, ahead=0):
        j = self.i + ahead
        return self.tokens[j] if j < len(self.tokens) else None

    def error(self, expecting=None):
        tok = self.peek()
        if tok is None:
            where = "end of input"
            last = self.tokens[-1] if self.tokens else None
            line, col = (last.line, last.col) if last else (1, 1)
        else:
            where = "%s %r" % (
                {
                    "word": "keyword/identifier",
                    "ident": "identifier",
                    "string": "string",
                    "number": "number",
                    "op": "symbol",
                }[tok.kind],
                tok.value,
            )
            line, col = tok.line, tok.col
        text = "syntax error, unexpected %s" % where
        if expecting:
            text += ", expecting %s" % expecting
        raise SqlError(SYNTAX, "%s [line %d, column %d]" % (text, line, col))

    def accept_kw(self, *words):
        tok = self.peek()
        if tok is not None and tok.is_kw(*words):
            self.i += 1
            return tok.value
        return None

    def expect_kw(self, *words):
        value = self.accept_kw(*words)
        if value is None:
            self.error(" or ".join(words))
        return value

    def accept_op(self, *ops):
        tok = self.peek()
        if tok is not None and tok.kind == "op" and tok.value in ops:
            self.i += 1
            return tok.value
        return None

    def expect_op(self, op):
        if self.accept_op(op) is None:
            self.error("'%s'" % op)

    def expect_end(self):
        if self.peek() is not None:
            self.error("end of statement")

    def identifier(self):
        tok = self.peek()
        if tok is None or tok.kind not in ("word", "ident"):
            self.error("identifier")
        self.i += 1
        return tok.value

    def qualified(self):
        """[schema.]name -> (schema or None, name)."""
        first = self.identifier()
        if self.accept_op("."):
            return first, self.identifier()
        return None, first

    def string(self):
        tok = self.peek()
        if tok is None or tok.kind != "string":
            self.error("string literal")
        self.i += 1
        return tok.value

    def integer(self):
        tok = self.peek()
        if tok is None or tok.kind != "number" or "." in tok.value:
            self.error("integer")
        self.i += 1
        return int(tok.value)

    # statements -------------------------------------------------------------------------
    def statement(self):
        if not self.tokens:
            raise SqlError(SYNTAX, "syntax error, empty statement [line 1, column 1]")
        first = self.peek()
        if first.is_kw("SELECT"):
            return self.select()
        if first.is_kw("CREATE"):
            return self.create()
        if first.is_kw("DROP"):
            return self.drop()
        if first.is_kw("ALTER"):
            return self.alter()
        if first.is_kw("OPEN"):
            self.i += 1
            self.expect_kw("SCHEMA")
            name = self.identifier()
            self.expect_end()
            return {"kind": "open_schema", "name": name}
        if first.is_kw("CLOSE"):
            self.i += 1
            self.expect_kw("SCHEMA")
            self.expect_end()
            return {"kind": "close_schema"}
        if first.is_kw("COMMIT", "ROLLBACK"):
            self.i += 1
            self.accept_kw("WORK")
            self.expect_end()
            return {"kind": first.value.lower()}
        if first.is_kw("KILL") and self.peek(1) is not None and self.peek(1).is_kw("SESSION"):
            return self.kill_session()
        if first.is_kw(
            "INSERT",
            "UPDATE",
            "DELETE",
            "MERGE",
            "TRUNCATE",
            "IMPORT",
            "EXPORT",
            "GRANT",
            "REVOKE",
            "EXECUTE",
            "DESCRIBE",
            "EXPLAIN",
            "WITH",
            "RENAME",
            "COMMENT",
            "RECOMPRESS",
            "REORGANIZE",
            "PRELOAD",
            "FLUSH",
            "KILL",
            "CONTEXT",
            "SET",
        ):
            raise SqlError(
                NOT_SUPPORTED,
                "feature not supported by the lab Exasol emulator: %s "
                "statements (see tests/lab/README_exasol.md)" % first.value,
            )
        self.error("SQL statement")

    def kill_session(self):
        """KILL SESSION {<id> | CURRENT_SESSION} (docs.exasol.com "KILL"; CURRENT_SESSION: Exasol
        changelog 5370). KILL STATEMENT stays refused (0A000, above)."""
        self.expect_kw("KILL")
        self.expect_kw("SESSION")
        target = None if self.accept_kw("CURRENT_SESSION") else self.integer()
        self.expect_end()
        return {"kind": "kill_session", "session": target}

    def create(self):
        self.expect_kw("CREATE")
        replace = False
        if self.accept_kw("OR"):
            self.expect_kw("REPLACE")
            replace = True
        tok = self.peek()
        if tok is not None and tok.is_kw("CONNECTION"):
            return self.create_connection(replace)
        if tok is not None and tok.is_kw("SCHEMA"):
            self.i += 1
            if_not_exists = self.if_not_exists()
            name = self.identifier()
            self.expect_end()
            return {"kind": "create_schema", "name": name, "replace": replace, "if_not_exists": if_not_exists}
        if tok is not None and tok.is_kw("VIRTUAL"):
            self.i += 1
            self.expect_kw("SCHEMA")
            if replace:
                self.error("SCHEMA name (CREATE OR REPLACE VIRTUAL SCHEMA does not exist)")
            return self.create_virtual_schema()
        if tok is not None and tok.is_kw("JAVA", "PYTHON", "PYTHON3", "LUA", "R"):
            return self.create_script(replace)
        if tok is not None and tok.is_kw("ADAPTER", "SCRIPT", "SCALAR", "SET"):
            raise SqlError(
                NOT_SUPPORTED,
                "feature not supported by the lab Exasol emulator: scripts other than JAVA ADAPTER SCRIPT",
            )
        if tok is not None and tok.is_kw("TABLE", "VIEW", "USER", "ROLE", "FUNCTION"):
            raise SqlError(NOT_SUPPORTED, "feature not supported by the lab Exasol emulator: CREATE %s" % tok.value)
        self.error("CONNECTION, SCHEMA, VIRTUAL SCHEMA or JAVA ADAPTER SCRIPT")

    def if_not_exists(self):
        if self.accept_kw("IF"):
            self.expect_kw("NOT")
            self.expect_kw("EXISTS")
            return True
        return False

    def if_exists(self):
        if self.accept_kw("IF"):
            self.expect_kw("EXISTS")
            return True
        return False

    def create_connection(self, replace):
        self.expect_kw("CONNECTION")
        name = self.identifier()
        self.expect_kw("TO")
        address = self.string()
        user = password = None
        if self.accept_kw("USER"):
            user = self.string()
            self.expect_kw("IDENTIFIED")
            self.expect_kw("BY")
            password = self.string()
        self.expect_end()
        return {
            "kind": "create_connection",
            "name": name,
            "replace": replace,
            "address": address,
            "user": user,
            "password": password,
        }

    def create_script(self, replace):
        language = self.expect_kw("JAVA", "PYTHON", "PYTHON3", "LUA", "R")
        if language != "JAVA" or not self.accept_kw("ADAPTER"):
            raise SqlError(
                NOT_SUPPORTED,
                "feature not supported by the lab Exasol emulator: scripts other than JAVA ADAPTER SCRIPT",
            )
        self.expect_kw("SCRIPT")
        schema, name = self.qualified()
        as_tok = self.peek()
        if as_tok is None or not as_tok.is_kw("AS"):
            self.error("AS")
        # the script body is everything after AS, verbatim, up to an optional line "/"
        body = self.text[as_tok.pos + 2 :]
        body = re.sub(r"\n[ \t]*/[ \t]*$", "", body.rstrip()).rstrip()
        self.i = len(self.tokens)
        return {
            "kind": "create_script",
            "schema": schema,
            "name": name,
            "replace": replace,
            "language": "JAVA",
            "type": "ADAPTER",
            "body": body,
        }

    def create_virtual_schema(self):
        if_not_exists = self.if_not_exists()
        name = self.identifier()
        self.expect_kw("USING")
        adapter = self.qualified()
        properties = []
        if self.accept_kw("WITH"):
            properties = self.property_list()
        self.expect_end()
        return {
            "kind": "create_virtual_schema",
            "name": name,
            "if_not_exists": if_not_exists,
            "adapter": adapter,
            "properties": properties,
        }

    def property_list(self):
        properties = []
        while self.peek() is not None:
            key = self.identifier()
            self.expect_op("=")
            tok = self.peek()
            if tok is not None and tok.is_kw("NULL"):
                self.i += 1
                properties.append((key, None))
            else:
                properties.append((key, self.string()))
            self.accept_op(",")
        if not properties:
            self.error("property name")
        return properties

    def drop(self):
        self.expect_kw("DROP")
        if self.accept_kw("CONNECTION"):
            if_exists = self.if_exists()
            name = self.identifier()
            self.expect_end()
            return {"kind": "drop_connection", "name": name, "if_exists": if_exists}
        if self.accept_kw("ADAPTER"):
            self.expect_kw("SCRIPT")
            if_exists = self.if_exists()
            schema, name = self.qualified()
            self.expect_end()
            return {"kind": "drop_script", "schema": schema, "name": name, "if_exists": if_exists}
        if self.accept_kw("SCRIPT"):
            if_exists = self.if_exists()
            schema, name = self.qualified()
            self.expect_end()
            return {"kind": "drop_script", "schema": schema, "name": name, "if_exists": if_exists}
        force = bool(self.accept_kw("FORCE"))
        virtual = bool(self.accept_kw("VIRTUAL"))
        if self.accept_kw("SCHEMA"):
            if_exists = self.if_exists()
            name = self.identifier()
            mode = self.accept_kw("CASCADE", "RESTRICT")
            self.expect_end()
            return {
                "kind": "drop_schema",
                "name": name,
                "if_exists": if_exists,
                "force": force,
                "virtual": virtual,
                "cascade": mode == "CASCADE",
            }
        tok = self.peek()
        if tok is not None and tok.is_kw("TABLE", "VIEW", "USER", "ROLE", "FUNCTION"):
            raise SqlError(NOT_SUPPORTED, "feature not supported by the lab Exasol emulator: DROP %s" % tok.value)
        self.error("CONNECTION, SCHEMA, VIRTUAL SCHEMA or ADAPTER SCRIPT")

    def alter(self):
        self.expect_kw("ALTER")
        tok = self.peek()
        if tok is not None and tok.is_kw("CONNECTION"):
            stmt = self.create_connection(False)  # same shape: ALTER CONNECTION c TO ... [USER ...]
            return dict(stmt, kind="alter_connection")
        if not self.accept_kw("VIRTUAL"):
            tok = self.peek()
            if tok is not None and tok.is_kw("SCHEMA", "TABLE", "USER", "SESSION", "SYSTEM", "ROLE"):
                raise SqlError(NOT_SUPPORTED, "feature not supported by the lab Exasol emulator: ALTER %s" % tok.value)
            self.error("VIRTUAL")
        self.expect_kw("SCHEMA")
        name = self.identifier()
        if self.accept_kw("SET"):
            properties = self.property_list()
            self.expect_end()
            return {"kind": "alter_vs_set", "name": name, "properties": properties}
        if self.accept_kw("REFRESH"):
            tables = None
            if self.accept_kw("TABLES"):
                tables = [self.identifier()]  # docs: REFRESH TABLES t1 t2 ...; commas accepted
                while self.peek() is not None:
                    self.accept_op(",")
                    tables.append(self.identifier())
            self.expect_end()
            return {"kind": "alter_vs_refresh", "name": name, "tables": tables}
        if self.accept_kw("CHANGE"):
            raise SqlError(
                NOT_SUPPORTED, "feature not supported by the lab Exasol emulator: ALTER VIRTUAL SCHEMA ... CHANGE OWNER"
            )
        self.error("SET or REFRESH")

    # SELECT -----------------------------------------------------------------------------
    def select(self):
        self.expect_kw("SELECT")
        if self.accept_kw("DISTINCT"):
            raise SqlError(NOT_SUPPORTED, "feature not supported by the lab Exasol emulator: SELECT DISTINCT")
        items = [self.select_item()]
        while self.accept_op(","):
            items.append(self.select_item())
        if self.peek() is None:  # SELECT <expressions>: evaluated once, as FROM DUAL
            return {
                "kind": "select",
                "items": items,
                "source": (None, "DUAL"),
                "where": None,
                "order": [],
                "limit": None,
                "offset": None,
            }
        self.expect_kw("FROM")
        source = self.qualified()
        tok = self.peek()
        if tok is not None and (
            tok.kind == "ident"
            or (
                tok.kind == "word"
                and tok.value
                not in (
                    "WHERE",
                    "ORDER",
                    "LIMIT",
                    "GROUP",
                    "JOIN",
                    "INNER",
                    "LEFT",
                    "RIGHT",
                    "HAVING",
                    "UNION",
                    "CROSS",
                    "FULL",
                    "OUTER",
                    "MINUS",
                    "INTERSECT",
                    "EXCEPT",
                )
            )
        ):
            self.accept_kw("AS")
            self.identifier()  # table alias: accepted, columns are not qualified by it
        tok = self.peek()
        if tok is not None and (
            tok.is_kw(
                "JOIN",
                "INNER",
                "LEFT",
                "RIGHT",
                "CROSS",
                "FULL",
                "GROUP",
                "HAVING",
                "UNION",
                "MINUS",
                "INTERSECT",
                "EXCEPT",
            )
            or (tok.kind == "op" and tok.value == ",")
        ):
            raise SqlError(NOT_SUPPORTED, "feature not supported by the lab Exasol emulator: %s in SELECT" % tok.value)
        where = None
        if self.accept_kw("WHERE"):
            where = self.or_expr()
        order = []
        if self.accept_kw("ORDER"):
            self.expect_kw("BY")
            order.append(self.order_item())
            while self.accept_op(","):
                order.append(self.order_item())
        limit = offset = None
        if self.accept_kw("LIMIT"):
            limit = self.integer()
            if self.accept_op(","):
                offset, limit = limit, self.integer()
            elif self.accept_kw("OFFSET"):
                offset = self.integer()
        self.expect_end()
        return {
            "kind": "select",
            "items": items,
            "source": source,
            "where": where,
            "order": order,
            "limit": limit,
            "offset": offset,
        }

    def select_item(self):
        if self.accept_op("*"):
            return {"star": True}
        tok = self.peek()
        if tok is not None and tok.is_kw("COUNT") and self.peek(1) is not None and self.peek(1).value == "(":
            self.i += 2
            self.expect_op("*")
            self.expect_op(")")
            expr = ("count",)
            default = "COUNT(*)"
        else:
            start = self.i
            expr = self.operand()
            if self.peek() is not None and self.peek().kind == "op" and self.peek().value in ("+", "-", "*", "/", "||"):
                raise SqlError(
                    NOT_SUPPORTED,
                    "feature not supported by the lab Exasol emulator: "
                    "operator %s in a select item" % self.peek().value,
                )
            default = self.default_name(expr, start)
        alias = None
        if self.accept_kw("AS"):
            alias = self.identifier()
        else:
            tok = self.peek()
            if tok is not None and (
                tok.kind == "ident"
                or (
                    tok.kind == "word"
                    and tok.value
                    not in (
                        "FROM",
                        "WHERE",
                        "ORDER",
                        "LIMIT",
                        "GROUP",
                        "HAVING",
                        "UNION",
                        "MINUS",
                        "INTERSECT",
                        "EXCEPT",
                    )
                )
            ):
                alias = self.identifier()
        return {"expr": expr, "name": alias or default}

    def default_name(self, expr, start):
        """Column name of an item without alias: a column's name, else the expression as written
        with keywords upper-cased and string literals kept (SELECT 1 -> "1"; lab inference)."""
        if expr[0] == "col":
            return expr[1]
        return "".join(
            "'%s'" % t.value.replace("'", "''") if t.kind == "string" else t.value for t in self.tokens[start : self.i]
        )

    def order_item(self):
        expr = self.operand()
        desc = self.accept_kw("ASC", "DESC") == "DESC"
        nulls_first = None
        if self.accept_kw("NULLS"):
            nulls_first = self.expect_kw("FIRST", "LAST") == "FIRST"
        return (expr, desc, nulls_first)

    def or_expr(self):
        left = self.and_expr()
        while self.accept_kw("OR"):
            left = ("or", left, self.and_expr())
        return left

    def and_expr(self):
        left = self.not_expr()
        while self.accept_kw("AND"):
            left = ("and", left, self.not_expr())
        return left

    def not_expr(self):
        if self.accept_kw("NOT"):
            return ("not", self.not_expr())
        return self.predicate()

    def predicate(self):
        tok = self.peek()
        if tok is not None and tok.kind == "op" and tok.value == "(":
            self.i += 1
            inner = self.or_expr()
            self.expect_op(")")
            return inner
        left = self.operand()
        op = self.accept_op("=", "<>", "!=", "<", ">", "<=", ">=")
        if op:
            return ("cmp", "<>" if op == "!=" else op, left, self.operand())
        negate = bool(self.accept_kw("NOT"))
        if self.accept_kw("IN"):
            self.expect_op("(")
            values = [self.operand()]
            while self.accept_op(","):
                values.append(self.operand())
            self.expect_op(")")
            node = ("in", left, values)
        elif self.accept_kw("LIKE"):
            pattern = self.operand()
            escape = None
            if self.accept_kw("ESCAPE"):
                escape = self.string()
            node = ("like", left, pattern, escape)
        elif not negate and self.accept_kw("IS"):
            is_not = bool(self.accept_kw("NOT"))
            self.expect_kw("NULL")
            node = ("isnull", left)
            return ("not", node) if is_not else node
        else:
            self.error("comparison operator, IN, LIKE or IS")
        return ("not", node) if negate else node

    def operand(self):
        tok = self.peek()
        if tok is None:
            self.error("expression")
        if tok.kind == "string":
            self.i += 1
            return ("lit", tok.value if tok.value != "" else None)  # Exasol: '' is NULL
        if tok.kind == "number":
            self.i += 1
            return ("lit", int(tok.value) if "." not in tok.value else float(tok.value), tok.value)
        if tok.is_kw("NULL"):
            self.i += 1
            return ("lit", None)
        if tok.is_kw("TRUE", "FALSE"):
            self.i += 1
            return ("lit", tok.value == "TRUE")
        if (
            tok.kind == "word"
            and tok.value in ("UPPER", "LOWER", "UCASE", "LCASE")
            and self.peek(1) is not None
            and self.peek(1).value == "("
        ):
            self.i += 2
            inner = self.operand()
            self.expect_op(")")
            return ("upper" if tok.value in ("UPPER", "UCASE") else "lower", inner)
        if tok.is_kw(*SESSION_FUNCTIONS):
            self.i += 1
            return ("fn", tok.value)
        if tok.is_kw(*UNSUPPORTED_FUNCTIONS):
            raise SqlError(NOT_SUPPORTED, "feature not supported by the lab Exasol emulator: function %s" % tok.value)
        if tok.kind == "op" and tok.value in ("+", "-", "/"):
            raise SqlError(
                NOT_SUPPORTED, "feature not supported by the lab Exasol emulator: arithmetic and signed numbers"
            )
        if tok.kind in ("word", "ident"):
            if tok.kind == "word" and self.peek(1) is not None and self.peek(1).value == "(":
                raise SqlError(
                    NOT_SUPPORTED, "feature not supported by the lab Exasol emulator: function %s" % tok.value
                )
            self.i += 1
            name = tok.value
            if self.accept_op("."):  # qualified column reference: table alias / name
                name = self.identifier()
            return ("col", name)
        self.error("expression")


# functions without arguments the emulator evaluates (docs.exasol.com, "Alphabetical list of
# functions"); the others of that kind are refused rather than read as column names
SESSION_FUNCTIONS = ("CURRENT_SESSION", "CURRENT_USER", "CURRENT_SCHEMA")
UNSUPPORTED_FUNCTIONS = (
    "USER",
    "CURRENT_STATEMENT",
    "CURRENT_DATE",
    "CURRENT_TIMESTAMP",
    "SYSDATE",
    "SYSTIMESTAMP",
    "LOCALTIMESTAMP",
    "CURRENT_CLUSTER",
    "CURRENT_CLUSTER_UID",
    "DBTIMEZONE",
    "SESSIONTIMEZONE",
)


def parse(text):
    """Parse one statement; returns a dict with at least `kind`."""
    return Parser(text).statement()


def like_to_regex(pattern, escape=None):
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if escape and ch == escape and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return re.compile("^" + "".join(out) + "$", re.DOTALL)


def quote_ident(name):
    return '"%s"' % name.replace('"', '""')

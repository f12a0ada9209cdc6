# Builds the message corpus and, from the same hand-written descriptions,
# the expected ENVELOPE and BODYSTRUCTURE strings (RFC 3501 section 7.4.2
# grammar): sizes and line counts are counted here on the part bytes.
import os
OUT = '/work/main/imap-proto/tests/data/messages'

def q(s):
    if s is None: return 'NIL'
    b = s.encode() if isinstance(s, str) else s
    if any(c >= 0x80 or c in (0, 13, 10) for c in b) or len(b) > 1024:
        return '{%d}\r\n' % len(b) + b.decode('utf-8', 'replace')
    return '"' + b.decode().replace('\\', '\\\\').replace('"', '\\"') + '"'

def params(ps):
    if not ps: return 'NIL'
    return '(' + ' '.join(q(a) + ' ' + q(v) for a, v in ps) + ')'

def lines(b):
    n = b.count(b'\n')
    return n + (1 if b and not b.endswith(b'\n') else 0)

def ext_tail(disp, lang, loc):
    d = 'NIL' if disp is None else '(' + q(disp[0]) + ' ' + params(disp[1]) + ')'
    if not lang: l = 'NIL'
    elif len(lang) == 1: l = q(lang[0])
    else: l = '(' + ' '.join(q(x) for x in lang) + ')'
    return d + ' ' + l + ' ' + q(loc)

class Leaf:
    def __init__(self, mt, st, body, ps=None, cte=None, hdr_ps=None, id=None, desc=None, disp=None, disp_hdr=None, lang=None, loc=None, md5=None, ct_hdr=None, extra=b'', no_ct=False):
        self.mt, self.st, self.body = mt, st, body
        self.ps = ps if ps is not None else []
        self.cte, self.id, self.desc, self.disp, self.lang, self.loc, self.md5 = cte, id, desc, disp, lang, loc, md5
        h = b''
        if not no_ct:
            h += b'Content-Type: ' + (ct_hdr or (mt.lower() + '/' + st.lower() + ''.join('; %s=%s' % (a.lower(), v) for a, v in self.ps)).encode()) + b'\r\n'
        if cte: h += b'Content-Transfer-Encoding: ' + cte.encode() + b'\r\n'
        if id: h += b'Content-ID: ' + id.encode() + b'\r\n'
        if desc: h += b'Content-Description: ' + desc.encode() + b'\r\n'
        if disp_hdr: h += b'Content-Disposition: ' + disp_hdr + b'\r\n'
        if lang: h += b'Content-Language: ' + ', '.join(lang).encode() + b'\r\n'
        if loc: h += b'Content-Location: ' + loc.encode() + b'\r\n'
        if md5: h += b'Content-MD5: ' + md5.encode() + b'\r\n'
        self.header = h + extra
        self.no_ct = no_ct
    def bytes(self):
        return self.header + b'\r\n' + self.body
    def bs(self, ext=True):
        ps = self.ps if not self.no_ct else [('CHARSET', 'US-ASCII')]
        s = '(' + q(self.mt) + ' ' + q(self.st) + ' ' + params(ps) + ' ' + q(self.id) + ' ' + q(self.desc) + ' ' + q((self.cte or '7BIT').upper()) + ' %d' % len(self.body)
        if self.mt == 'TEXT': s += ' %d' % lines(self.body)
        if isinstance(self, Msg):
            s += ' ' + self.inner.env() + ' ' + self.inner.bs(ext) + ' %d' % lines(self.body)
        if ext: s += ' ' + q(self.md5) + ' ' + ext_tail(self.disp, self.lang, self.loc)
        return s + ')'

class Msg(Leaf):
    def __init__(self, inner, **kw):
        self.inner = inner
        Leaf.__init__(self, 'MESSAGE', 'RFC822', inner.bytes(), **kw)

class Multi:
    def __init__(self, st, parts, boundary, extra_ps=None, pre=b'', epi=b'', disp=None, disp_hdr=None, lang=None, loc=None):
        self.st, self.parts, self.boundary = st, parts, boundary
        self.ps = [('BOUNDARY', boundary)] + (extra_ps or [])
        self.disp, self.lang, self.loc = disp, lang, loc
        h = ('Content-Type: multipart/' + self.st.lower() + '; boundary="' + boundary + '"' + ''.join('; %s=%s' % (a.lower(), v) for a, v in (extra_ps or [])) + '\r\n').encode()
        if disp_hdr: h += b'Content-Disposition: ' + disp_hdr + b'\r\n'
        if lang: h += b'Content-Language: ' + ', '.join(lang).encode() + b'\r\n'
        if loc: h += b'Content-Location: ' + loc.encode() + b'\r\n'
        self.header = h
        b = pre
        for p in parts:
            b += b'--' + boundary.encode() + b'\r\n' + p.bytes() + b'\r\n'
        b += b'--' + boundary.encode() + b'--\r\n' + epi
        self.body = b
    def bytes(self):
        return self.header + b'\r\n' + self.body
    def bs(self, ext=True):
        s = '(' + ''.join(p.bs(ext) for p in self.parts) + ' ' + q(self.st)
        if ext: s += ' ' + params(self.ps) + ' ' + ext_tail(self.disp, self.lang, self.loc)
        return s + ')'

def addr(name, mbox, host, adl=None):
    return (name, adl, mbox, host)

class Message:
    """A top-level message: envelope fields as written, and a body entity."""
    def __init__(self, fields, entity, env):
        self.fields, self.entity, self.envd = fields, entity, env
    def bytes(self):
        h = b''.join(k.encode() + b': ' + (v if isinstance(v, bytes) else v.encode()) + b'\r\n' for k, v in self.fields)
        return h + self.entity.bytes()
    def env(self):
        e = self.envd
        def al(v):
            if not v: return 'NIL'
            return '(' + ''.join('(' + ' '.join(q(x) for x in a) + ')' for a in v) + ')'
        frm = e.get('from')
        return '(' + ' '.join([q(e.get('date')), q(e.get('subject')), al(frm), al(e.get('sender', frm)), al(e.get('reply_to', frm)), al(e.get('to')), al(e.get('cc')), al(e.get('bcc')), q(e.get('in_reply_to')), q(e.get('message_id'))]) + ')'
    def bs(self, ext=True):
        return self.entity.bs(ext)

def std(subject, mid, extra=()):
    fields = [('Date', 'Tue, 1 Jul 2003 10:52:37 +0200'), ('From', 'Ann Example <ann@example.org>'), ('To', 'bob@example.com'), ('Subject', subject), ('Message-ID', mid)] + list(extra)
    env = {'date': 'Tue, 1 Jul 2003 10:52:37 +0200', 'subject': subject, 'from': [addr('Ann Example', 'ann', 'example.org')], 'to': [addr(None, 'bob', 'example.com')], 'message_id': mid}
    return fields, env

T = lambda body, **kw: Leaf('TEXT', 'PLAIN', body, ps=[('CHARSET', 'us-ascii')], **kw)
H = lambda body, **kw: Leaf('TEXT', 'HTML', body, ps=[('CHARSET', 'utf-8')], **kw)
corpus = {}

# 01 plain text, no MIME headers at all: defaults.
f, e = std('plain', '<01@example.org>')
corpus['01-plain-no-mime'] = Message(f, Leaf('TEXT', 'PLAIN', b'Hello Bob,\r\n\r\nsee you.\r\n', no_ct=True), e)
# 02 text/plain with charset and 8bit.
f, e = std('8bit', '<02@example.org>')
corpus['02-text-8bit'] = Message(f, Leaf('TEXT', 'PLAIN', 'Grüße aus Köln\r\n'.encode(), ps=[('CHARSET', 'utf-8')], cte='8bit'), e)
# 03 quoted-printable, format=flowed.
f, e = std('qp', '<03@example.org>')
corpus['03-text-qp-flowed'] = Message(f, Leaf('TEXT', 'PLAIN', b'caf=C3=A9 =\r\nlong line\r\n', ps=[('CHARSET', 'UTF-8'), ('FORMAT', 'flowed')], cte='quoted-printable'), e)
# 04 multipart/alternative.
f, e = std('alt', '<04@example.org>')
corpus['04-alternative'] = Message(f, Multi('ALTERNATIVE', [T(b'plain\r\n'), H(b'<p>html</p>\r\n')], 'alt-04'), e)
# 05 mixed with a base64 PDF attachment and filename.
f, e = std('attachment', '<05@example.org>')
pdf = Leaf('APPLICATION', 'PDF', b'JVBERi0xLjQKJcfsj6IK\r\nJSVFT0YK\r\n', ps=[('NAME', 'report.pdf')], cte='base64', disp=('ATTACHMENT', [('FILENAME', 'report.pdf')]), disp_hdr=b'attachment; filename="report.pdf"')
corpus['05-mixed-pdf'] = Message(f, Multi('MIXED', [T(b'See attached.\r\n'), pdf], 'mix-05', pre=b'This is a multi-part message in MIME format.\r\n'), e)
# 06 mixed > alternative > related (html + inline image).
f, e = std('nested', '<06@example.org>')
img = Leaf('IMAGE', 'PNG', b'iVBORw0KGgo=\r\n', ps=[('NAME', 'logo.png')], cte='base64', id='<logo@06>', disp=('INLINE', [('FILENAME', 'logo.png')]), disp_hdr=b'inline; filename=logo.png')
rel = Multi('RELATED', [H(b'<img src="cid:logo@06">\r\n'), img], 'rel-06', extra_ps=[('TYPE', '"text/html"')])
rel.ps = [('BOUNDARY', 'rel-06'), ('TYPE', 'text/html')]
alt = Multi('ALTERNATIVE', [T(b'logo\r\n'), rel], 'alt-06')
zipf = Leaf('APPLICATION', 'ZIP', b'UEsDBAoAAAAAAA==\r\n', cte='base64', disp=('ATTACHMENT', [('FILENAME', 'a.zip')]), disp_hdr=b'attachment; filename=a.zip')
corpus['06-mixed-alt-related'] = Message(f, Multi('MIXED', [alt, zipf], 'mix-06'), e)
# 07 forwarded message/rfc822 attachment.
f, e = std('fwd', '<07@example.org>')
fi, ei = std('inner', '<07i@example.net>')
inner = Message(fi, T(b'inner body\r\nline two\r\n'), ei)
corpus['07-forward-rfc822'] = Message(f, Multi('MIXED', [T(b'FYI\r\n'), Msg(inner, disp=('ATTACHMENT', []), disp_hdr=b'attachment')], 'mix-07'), e)
# 08 message/rfc822 whose body is multipart.
f, e = std('fwd-multi', '<08@example.org>')
fi, ei = std('inner multi', '<08i@example.net>')
inner = Message(fi, Multi('ALTERNATIVE', [T(b'a\r\n'), H(b'<b>a</b>\r\n')], 'inner-08'), ei)
corpus['08-rfc822-multipart'] = Message(f, Multi('MIXED', [T(b'see below\r\n'), Msg(inner)], 'mix-08'), e)
# 09 encoded-word subject and display names (left encoded in ENVELOPE).
subj = '=?UTF-8?B?w6l0w6kgw6AgUGFyaXM=?='
f = [('Date', 'Wed, 2 Jul 2003 08:00:00 -0700'), ('From', '=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>'), ('To', '"Keith Moore" <moore@cs.utk.edu>, =?ISO-8859-1?Q?Olle_J=E4rnefors?= <ojarnef@admin.kth.se>'), ('Subject', subj), ('Message-ID', '<09@example.org>')]
e = {'date': 'Wed, 2 Jul 2003 08:00:00 -0700', 'subject': subj, 'from': [addr('=?ISO-8859-1?Q?Andr=E9?= Pirard', 'PIRARD', 'vm1.ulg.ac.be')], 'to': [addr('Keith Moore', 'moore', 'cs.utk.edu'), addr('=?ISO-8859-1?Q?Olle_J=E4rnefors?=', 'ojarnef', 'admin.kth.se')], 'message_id': '<09@example.org>'}
corpus['09-encoded-words'] = Message(f, T(b'hi\r\n'), e)
# 10 RFC 2231 non-ASCII filename (parameters as written).
f, e = std('2231', '<10@example.org>')
att = Leaf('APPLICATION', 'OCTET-STREAM', b'AAEC\r\n', cte='base64', disp=('ATTACHMENT', [("FILENAME*", "utf-8''%C3%A9t%C3%A9.txt")]), disp_hdr=b"attachment; filename*=utf-8''%C3%A9t%C3%A9.txt", ps=[("NAME*", "utf-8''%C3%A9t%C3%A9.txt")])
corpus['10-rfc2231-filename'] = Message(f, Multi('MIXED', [T(b'x\r\n'), att], 'mix-10'), e)
# 11 RFC 2231 continuations.
f, e = std('2231 cont', '<11@example.org>')
att = Leaf('APPLICATION', 'OCTET-STREAM', b'AAEC\r\n', cte='base64', disp=('ATTACHMENT', [('FILENAME*0', 'very_long_'), ('FILENAME*1', 'name.bin')]), disp_hdr=b'attachment;\r\n filename*0="very_long_";\r\n filename*1="name.bin"')
corpus['11-rfc2231-continuation'] = Message(f, Multi('MIXED', [T(b'x\r\n'), att], 'mix-11'), e)
# 12 missing headers: no Date, no Subject, no Message-ID, no To.
f = [('From', 'x@example.org')]
e = {'from': [addr(None, 'x', 'example.org')]}
corpus['12-missing-headers'] = Message(f, T(b'bare\r\n'), e)
# 13 group syntax and Sender/Reply-To different from From.
f = [('From', 'Ann <ann@example.org>'), ('Sender', 'list@example.org'), ('Reply-To', 'list@example.org'), ('To', 'undisclosed-recipients:;'), ('Cc', 'Team: a@example.org, "B, b" <b@example.org>;'), ('Subject', 'groups'), ('In-Reply-To', '<parent@example.org>')]
e = {'subject': 'groups', 'from': [addr('Ann', 'ann', 'example.org')], 'sender': [addr(None, 'list', 'example.org')], 'reply_to': [addr(None, 'list', 'example.org')], 'to': [(None, None, 'undisclosed-recipients', None), (None, None, None, None)], 'cc': [(None, None, 'Team', None), addr(None, 'a', 'example.org'), addr('B, b', 'b', 'example.org'), (None, None, None, None)], 'in_reply_to': '<parent@example.org>'}
corpus['13-groups-sender'] = Message(f, T(b'g\r\n'), e)
# 14 folded headers and comments in addresses.
f = [('Date', 'Thu, 3 Jul 2003\r\n 12:00:00 +0000'), ('From', 'ann@example.org (Ann Example)'), ('To', 'Bob\r\n <bob@example.com>'), ('Subject', 'a folded\r\n subject')]
e = {'date': 'Thu, 3 Jul 2003 12:00:00 +0000', 'subject': 'a folded subject', 'from': [addr(None, 'ann', 'example.org')], 'to': [addr('Bob', 'bob', 'example.com')]}
corpus['14-folded'] = Message(f, T(b'f\r\n'), e)
# 15 multipart/digest (parts default to message/rfc822).
f, e = std('digest', '<15@example.org>')
fa, ea = std('digest one', '<15a@example.org>')
fb, eb = std('digest two', '<15b@example.org>')
class DigestPart(Msg):
    def __init__(self, inner):
        Msg.__init__(self, inner)
        self.header = b''
d1, d2 = DigestPart(Message(fa, T(b'one\r\n'), ea)), DigestPart(Message(fb, T(b'two\r\n'), eb))
corpus['15-digest'] = Message(f, Multi('DIGEST', [d1, d2], 'dig-15'), e)
# 16 multipart/signed.
f, e = std('signed', '<16@example.org>')
sig = Leaf('APPLICATION', 'PGP-SIGNATURE', b'-----BEGIN PGP SIGNATURE-----\r\niQE=\r\n-----END PGP SIGNATURE-----\r\n', ps=[('NAME', 'signature.asc')], desc='OpenPGP digital signature')
signed = Multi('SIGNED', [T(b'signed text\r\n'), sig], 'sig-16', extra_ps=[('MICALG', 'pgp-sha256'), ('PROTOCOL', '"application/pgp-signature"')])
signed.ps = [('BOUNDARY', 'sig-16'), ('MICALG', 'pgp-sha256'), ('PROTOCOL', 'application/pgp-signature')]
corpus['16-signed'] = Message(f, signed, e)
# 17 multipart/report (a DSN).
f, e = std('Undelivered Mail Returned to Sender', '<17@example.org>')
ds = Leaf('MESSAGE', 'DELIVERY-STATUS', b'Reporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822; nobody@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n')
hdrs = Leaf('TEXT', 'RFC822-HEADERS', b'From: ann@example.org\r\nSubject: hi\r\n', ps=[])
rep = Multi('REPORT', [T(b'Your message could not be delivered.\r\n'), ds, hdrs], 'rep-17', extra_ps=[('REPORT-TYPE', 'delivery-status')])
corpus['17-report-dsn'] = Message(f, rep, e)
# 18 Content-Language, Content-Location, Content-MD5, Content-ID, description.
f, e = std('ext fields', '<18@example.org>')
corpus['18-extension-fields'] = Message(f, Leaf('TEXT', 'PLAIN', b'Bonjour\r\n', ps=[('CHARSET', 'iso-8859-1')], id='<p18@example.org>', desc='greeting', lang=['fr', 'en-GB'], loc='http://example.org/p18', md5='Q2hlY2sgSW50ZWdyaXR5IQ=='), e)
# 19 calendar invitation in alternative + attachment.
f, e = std('Invitation', '<19@example.org>')
cal = Leaf('TEXT', 'CALENDAR', b'BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n', ps=[('CHARSET', 'utf-8'), ('METHOD', 'REQUEST')])
ics = Leaf('APPLICATION', 'ICS', b'QkVHSU46VkNBTEVOREFS\r\n', ps=[('NAME', 'invite.ics')], cte='base64', disp=('ATTACHMENT', [('FILENAME', 'invite.ics')]), disp_hdr=b'attachment; filename="invite.ics"')
corpus['19-calendar'] = Message(f, Multi('MIXED', [Multi('ALTERNATIVE', [T(b'join us\r\n'), cal], 'alt-19'), ics], 'mix-19'), e)
# 20 body without trailing newline; preamble and epilogue.
f, e = std('no newline', '<20@example.org>')
corpus['20-preamble-epilogue'] = Message(f, Multi('MIXED', [T(b'no newline at end'), T(b'two\r\nlines\r\n')], 'mix-20', pre=b'preamble text\r\n', epi=b'epilogue\r\n'), e)
# 21 uppercase/odd-cased type and parameters, quoted boundary with spaces.
f, e = std('odd case', '<21@example.org>')
m21 = Multi('MIXED', [T(b'a\r\n'), T(b'b\r\n')], 'odd boundary 21')
m21.header = b'Content-Type: MultiPart/Mixed;\r\n\tBoundary="odd boundary 21"\r\n'
m21.st = 'MIXED'
m21.ps = [('BOUNDARY', 'odd boundary 21')]
corpus['21-odd-case'] = Message(f, m21, e)
# 22 audio/video parts and an empty part.
f, e = std('media', '<22@example.org>')
corpus['22-media-empty'] = Message(f, Multi('MIXED', [Leaf('AUDIO', 'MPEG', b'SUQz\r\n', cte='base64'), Leaf('VIDEO', 'MP4', b'', cte='base64'), T(b'')], 'mix-22'), e)

for name, m in corpus.items():
    with open(os.path.join(OUT, name + '.eml'), 'wb') as fh:
        fh.write(m.bytes())
    with open(os.path.join(OUT, name + '.expected'), 'wb') as fh:
        fh.write(('ENVELOPE ' + m.env() + '\n' + 'BODYSTRUCTURE ' + m.bs(True) + '\n' + 'BODY ' + m.bs(False) + '\n').encode())
print(len(corpus))

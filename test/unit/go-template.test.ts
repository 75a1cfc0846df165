import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { InvalidParameterError } from '../../src/lib/errors.js';
import {
  formatFloat,
  formatValue,
  goJSON,
  goQuote,
  headerFuncs,
  isJSONFormat,
  isTableFormat,
  parseTemplate,
  prepareFormat,
  renderTemplate,
  sprintf,
  stripTablePrefix,
  unescapeFormat,
} from '../../src/lib/go-template.js';

const ctx = {
  Name: 'default',
  Current: true,
  Error: '',
  Count: 3,
  Ratio: 1.5,
  Nil: null,
  List: ['a', 'b', 'c'],
  Mixed: ['a', 'b', 3, null, { z: 1, a: 2 }],
  Empty: [],
  EmptyMap: {},
  Map: { b: 2, a: 1, c: [1, 2], Z: { y: 'Y' } },
  Labels: { 'com.docker.x': '1', a: 'b' },
  Nested: { Inner: { Deep: 'deep' } },
};

const r = (tmpl: string, data: unknown = ctx): string => renderTemplate(tmpl, data);

/** Asserts the template fails with exactly this message. */
function fails(tmpl: string, message: string, data: unknown = ctx): void {
  assert.throws(
    () => renderTemplate(tmpl, data),
    (err: unknown) => {
      assert.ok(err instanceof InvalidParameterError, `not an InvalidParameterError: ${String(err)}`);
      assert.equal(err.message, message);
      return true;
    },
  );
}

describe('go-template: fields and values', () => {
  it('prints text, fields, nested fields and map keys', () => {
    assert.equal(r('name={{.Name}}'), 'name=default');
    assert.equal(r('{{.Nested.Inner.Deep}}'), 'deep');
    assert.equal(r('{{.Labels.a}}'), 'b');
    assert.equal(r('{{.Map.Z.y}}'), 'Y');
  });

  it('prints . and $', () => {
    assert.equal(r('{{.}}', 'x'), 'x');
    assert.equal(r('{{with .Nested}}{{$.Name}}{{end}}'), 'default');
    assert.equal(r('{{$}}', 7), '7');
  });

  it('mimics Go %v printing', () => {
    assert.equal(r('{{.List}}'), '[a b c]');
    assert.equal(r('{{.Mixed}}'), '[a b 3 <nil> map[a:2 z:1]]');
    assert.equal(r('{{.Map}}'), 'map[Z:map[y:Y] a:1 b:2 c:[1 2]]');
    assert.equal(r('{{.Empty}} {{.EmptyMap}}'), '[] map[]');
    assert.equal(r('{{.Current}} {{.Count}} {{.Ratio}}'), 'true 3 1.5');
    assert.equal(r('{{.}}', 1e21), '1e+21');
    assert.equal(r('{{.}}', 1234567.5), '1.2345675e+06');
    assert.equal(r('{{.}}', 0.00001), '1e-05');
    assert.equal(r('{{.Nil}}'), '<nil>');
  });

  it('prints <no value> for a missing key, and keeps going through it', () => {
    assert.equal(r('{{.Missing}}'), '<no value>');
    assert.equal(r('{{.Missing.Deeper}}'), '<no value>');
    assert.equal(r('{{index .Map "zz"}}'), '<no value>');
    assert.equal(r('{{printf "%v" .Missing}}'), '<nil>');
  });

  it('fails on a field of nil or of a non-map', () => {
    fails(
      '{{.Nil.X}}',
      'template parsing error: template: :1:6: executing "" at <.Nil.X>: nil pointer evaluating interface {}.X',
    );
    fails(
      '{{.Name.Foo}}',
      `template parsing error: template: :1:7: executing "" at <.Name.Foo>: can't evaluate field Foo in type string`,
    );
    fails(
      '{{$x := .List}}{{$x.Foo}}',
      `template parsing error: template: :1:19: executing "" at <$x.Foo>: can't evaluate field Foo in type []string`,
    );
  });

  it('supports missingkey=error like docker inspect on raw JSON', () => {
    const t = parseTemplate('{{.Map.zz}}', {}, { missingKey: 'error' });
    assert.throws(() => t.execute(ctx), /map has no entry for key "zz"/);
    assert.equal(parseTemplate('{{.Map.a}}', {}, { missingKey: 'error' }).execute(ctx), '1');
  });

  it('treats class instances as structs: unknown fields are errors, methods are called', () => {
    class ContainerContext {
      ID = 'abc';
      Label(k: string): string {
        return `label:${k}`;
      }
      get Upper(): string {
        return this.ID.toUpperCase();
      }
    }
    const row = new ContainerContext();
    assert.equal(r('{{.ID}} {{.Label "x"}} {{.Upper}} {{"y" | .Label}}', row), 'abc label:x ABC label:y');
    assert.equal(r('{{if .}}t{{end}}', row), 't');
    fails(
      '{{.Nope}}',
      `template parsing error: template: :1:2: executing "" at <.Nope>: can't evaluate field Nope in type *ContainerContext`,
      row,
    );
    assert.equal(r('{{.toString}}', {}), '<no value>');
  });

  it('calls function-valued fields of plain objects with their arguments', () => {
    assert.equal(r('{{.F 1 2}}', { F: (a: number, b: number) => a + b }), '3');
    fails(
      '{{.Name 1}}',
      'template parsing error: template: :1:2: executing "" at <.Name>: Name is not a method but has arguments',
    );
  });
});

describe('go-template: literals, variables, pipelines', () => {
  it('parses Go literals (docker-verified)', () => {
    assert.equal(r('{{"\\u00e9\\x41\\101\\t"}}'), 'éAA\t');
    assert.equal(r('{{`raw\\n`}}'), 'raw\\n');
    assert.equal(r('{{1.5}} {{1.0}} {{0x10}} {{1_000}} {{-3}} {{+3}}'), '1.5 1 16 1000 -3 3');
    assert.equal(r("{{017}} {{0b101}} {{0o17}} {{1_0.5}} {{0x1p4}} {{'a'}} {{'\\n'}}"), '15 5 15 10.5 16 97 10');
    assert.equal(r('{{true}} {{false}}'), 'true false');
  });

  it('declares and assigns variables with Go scoping', () => {
    assert.equal(r('{{$x := .Name}}{{$x}}'), 'default');
    assert.equal(r('{{$x := 1}}{{$x = 2}}{{$x}}'), '2');
    assert.equal(r('{{$x := 1}}{{range $i, $e := .List}}{{$x = $i}}{{end}}{{$x}}'), '2');
    assert.equal(r('{{if $x := .Name}}{{$x}}{{end}}'), 'default');
    fails('{{with $x := 1}}{{$x}}{{end}}{{$x}}', 'template parsing error: template: :1: undefined variable "$x"');
  });

  it('pipes the previous value in as the last argument', () => {
    assert.equal(r('{{.List | json}}'), '["a","b","c"]');
    assert.equal(r('{{"a" | printf "%s-%s" "b" | printf "%s/%s" "c"}}'), 'c/b-a');
    assert.equal(r('{{.Name | eq "default"}}'), 'true');
    assert.equal(r('{{"ab" | printf "%s" | len}}'), '2');
    assert.equal(r('{{.Name |}}'), 'default');
  });

  it('evaluates parenthesised arguments and chains', () => {
    assert.equal(r('{{len (split "a,b" ",")}}'), '2');
    assert.equal(r('{{(index .Mixed 4).z}}'), '1');
    assert.equal(r('{{printf "%s" (print 1 2)}}'), '1 2');
  });
});

describe('go-template: whitespace trimming and comments', () => {
  it('trims around {{- and -}} (docker-verified)', () => {
    assert.equal(r('a  {{- "b" -}}  c {{- /* x */ -}} d {{-3}}'), 'abcd -3');
    assert.equal(r('{{ .Name  -}}\n  x'), 'defaultx');
    assert.equal(r('x \n\t {{- .Name}}'), 'xdefault');
  });

  it('drops comments', () => {
    assert.equal(r('{{ "a" }}{{/* c */}}{{ "b" }}'), 'ab');
    assert.equal(r('{{/* multi\nline */}}x'), 'x');
  });
});

describe('go-template: control structures', () => {
  it('if / else if / else', () => {
    assert.equal(r('{{if eq 1 2}}a{{else if eq 1 1}}b{{else}}c{{end}}'), 'b');
    assert.equal(r('{{if .Error}}err{{else}}noerr{{end}}'), 'noerr');
    assert.equal(
      r('{{if .Empty}}y{{else}}n{{end}}{{if .EmptyMap}}y{{else}}n{{end}}{{if .Nil}}y{{else}}n{{end}}{{if 0}}y{{else}}n{{end}}'),
      'nnnn',
    );
  });

  it('with / else with', () => {
    assert.equal(r('{{with .Nested.Inner}}{{.Deep}}{{end}}'), 'deep');
    assert.equal(r('{{with ""}}x{{else with "y"}}{{.}}{{end}}'), 'y');
    assert.equal(r('{{with .Missing}}x{{else}}none{{end}}'), 'none');
  });

  it('range over arrays, maps (sorted keys), ints, with else', () => {
    assert.equal(r('{{range .List}}[{{.}}]{{end}}'), '[a][b][c]');
    assert.equal(r('{{range $i, $e := .List}}{{$i}}={{$e}} {{end}}'), '0=a 1=b 2=c ');
    assert.equal(r('{{range $e := .List}}{{$e}}{{end}}'), 'abc');
    assert.equal(r('{{range $k, $v := .Map}}{{$k}}={{$v}};{{end}}'), 'Z=map[y:Y];a=1;b=2;c=[1 2];');
    assert.equal(r('{{range $k, $v := .Labels}}{{$k}}={{$v}},{{end}}'), 'a=b,com.docker.x=1,');
    assert.equal(r('{{range .Empty}}x{{else}}empty{{end}}'), 'empty');
    assert.equal(r('{{range .Missing}}x{{else}}none{{end}}'), 'none');
    assert.equal(r('{{range 3}}{{.}}{{end}} {{range 0}}x{{else}}zero{{end}}'), '012 zero');
  });

  it('break and continue (docker-verified)', () => {
    assert.equal(
      r('{{range $i, $e := split "a,b,c,d" ","}}{{if eq $i 1}}{{continue}}{{end}}{{if eq $i 3}}{{break}}{{end}}{{$e}}{{end}}'),
      'ac',
    );
  });

  it('define, template and block', () => {
    assert.equal(r('{{define "x"}}X{{.}}{{end}}{{template "x" 5}}{{block "y" 6}}Y{{.}}{{end}}'), 'X5Y6');
    assert.equal(r('{{template "x" 1}}{{define "x"}}{{.}}{{$}}{{end}}'), '11');
    assert.equal(r('{{define "a"}}{{template "b" .}}{{end}}{{define "b"}}<{{.}}>{{end}}{{template "a" "z"}}'), '<z>');
  });

  it('range errors', () => {
    fails(
      '{{range .Name}}{{end}}',
      `template parsing error: template: :1:8: executing "" at <.Name>: range can't iterate over default`,
    );
    fails(
      '{{range $i, $e := 3}}{{end}}',
      `template parsing error: template: :1:18: executing "" at <3>: can't use 3 to iterate over more than one variable`,
    );
  });
});

describe('go-template: builtin functions', () => {
  it('and / or / not return Go values', () => {
    assert.equal(r('{{and 1 0 2}} {{and 1 2}} {{or 0 "" "x"}} {{or 0 ""}} {{not 0}} {{not "a"}}'), '0 2 x  true false');
    // Short-circuit: the failing call is never evaluated.
    assert.equal(r('{{or 1 (index .List 99)}}'), '1');
  });

  it('comparisons', () => {
    assert.equal(
      r('{{eq "a" "b" "c" "a"}} {{ne 1 2}} {{lt "a" "b"}} {{le 2 2}} {{gt 3 2}} {{ge 1 2}}'),
      'true true true true true false',
    );
    assert.equal(r('{{eq .Nil nil}} {{eq .Name nil}}'), 'true false');
    fails(
      '{{eq 1 "a"}}',
      'template parsing error: template: :1:2: executing "" at <eq 1 "a">: error calling eq: incompatible types for comparison',
    );
    fails(
      '{{lt true false}}',
      'template parsing error: template: :1:2: executing "" at <lt true false>: error calling lt: invalid type for comparison',
    );
    fails(
      '{{eq (split "a" ",") (split "a" ",")}}',
      'template parsing error: template: :1:2: executing "" at <eq (split "a" ",") (split "a" ",")>: error calling eq: non-comparable type [a]: []string',
    );
  });

  it('len, index, slice', () => {
    assert.equal(r('{{len "héllo"}} {{len .List}} {{len .Map}}'), '6 3 4');
    assert.equal(r('{{index .List 1}} {{index .Name 1}} {{index .Labels "com.docker.x"}}'), 'b 101 1');
    assert.equal(r('{{slice "abcdef" 1 3}} {{slice .List 1}} {{slice .List 0 1 2}}'), 'bc [b c] [a]');
    fails(
      '{{index .List 5}}',
      'template parsing error: template: :1:2: executing "" at <index .List 5>: error calling index: index out of range: 5',
    );
    fails(
      '{{slice "abc" 2 1}}',
      'template parsing error: template: :1:2: executing "" at <slice "abc" 2 1>: error calling slice: invalid slice index: 2 > 1',
    );
    fails(
      '{{len 3}}',
      'template parsing error: template: :1:2: executing "" at <len 3>: error calling len: len of type int',
    );
  });

  it('print / println', () => {
    assert.equal(r('{{print 1 2 "a" "b" 3 true false}}'), '1 2ab3 true false');
    assert.equal(r('{{println 1 "a"}}|'), '1 a\n|');
    assert.equal(r('{{print nil}}'), '<nil>');
  });

  it('html / js / urlquery (docker-verified)', () => {
    assert.equal(r('{{html `<a&"\'>`}}'), '&lt;a&amp;&#34;&#39;&gt;');
    assert.equal(r('{{js `<a"\'\\>é`}}'), '\\u003Ca\\"\\\'\\\\\\u003Eé');
    assert.equal(r('{{urlquery "a b&c=d/é~"}}'), 'a+b%26c%3Dd%2F%C3%A9~');
  });

  it('call', () => {
    // A function-valued field is called as a method, so call needs a function value.
    assert.equal(r('{{call (index .Fns "double") 2}}', { Fns: { double: (x: number) => x * 2 } }), '4');
    fails(
      '{{call .Name}}',
      'template parsing error: template: :1:2: executing "" at <call .Name>: error calling call: non-function .Name of type string',
    );
  });

  it('checks arity and argument types like Go', () => {
    fails(
      '{{json}}',
      'template parsing error: template: :1:2: executing "" at <json>: wrong number of args for json: want 1 got 0',
    );
    fails(
      '{{index}}',
      'template parsing error: template: :1:2: executing "" at <index>: wrong number of args for index: want at least 1 got 0',
    );
    fails(
      '{{upper 1}}',
      'template parsing error: template: :1:8: executing "" at <1>: expected string; found 1',
    );
    fails(
      '{{pad "a" 1.5 1}}',
      'template parsing error: template: :1:10: executing "" at <1.5>: expected integer; found 1.5',
    );
    fails(
      '{{join "a" ","}}',
      `template parsing error: template: :1:7: executing "" at <"a">: can't handle "a" for arg of type []string`,
    );
    fails(
      '{{upper .Count}}',
      'template parsing error: template: :1:8: executing "" at <.Count>: wrong type for value; expected string; got int',
    );
  });

  it('reports errors thrown by extra functions', () => {
    const boom = (): never => {
      throw new Error('boom');
    };
    assert.throws(
      () => renderTemplate('{{boom 1}}', {}, { boom }),
      (e: unknown) =>
        e instanceof InvalidParameterError &&
        e.message === 'template parsing error: template: :1:2: executing "" at <boom 1>: error calling boom: boom',
    );
  });
});

describe('go-template: docker functions', () => {
  it('json is compact, keeps <>& and field order', () => {
    assert.equal(r('{{json "<a&b>"}}'), '"<a&b>"');
    assert.equal(r('{{json .Mixed}}'), '["a","b",3,null,{"z":1,"a":2}]');
    assert.equal(r('{{json .Nil}} {{json .Missing}} {{json 1.5}} {{json .Empty}} {{json .EmptyMap}}'), 'null null 1.5 [] {}');
    assert.equal(goJSON('\u2028\x01\t"\\'), '"\\u2028\\u0001\\t\\"\\\\"');
    assert.equal(goJSON({ a: undefined, b: 1, d: new Date('2024-01-02T03:04:05Z') }), '{"b":1,"d":"2024-01-02T03:04:05Z"}');
    assert.equal(goJSON(NaN), '');
  });

  it('split, join, title, lower, upper, pad, truncate (docker-verified)', () => {
    assert.equal(r('{{split "a,b,c" ","}} {{join (split "a,b" ",") "+"}} {{split "abc" ""}} {{len (split "" ",")}}'), '[a b c] a+b [a b c] 1');
    assert.equal(r('{{join .List ", "}}'), 'a, b, c');
    assert.equal(r(`{{title "hello wOrld foo-bar o'neil _x 1a"}}`), "Hello WOrld Foo-Bar O'Neil _x 1a");
    assert.equal(r('{{upper "héllo ß"}} {{lower "HÉLLO"}}'), 'HÉLLO ß héllo');
    assert.equal(r('[{{pad "x" 2 3}}] [{{pad "" 2 3}}]'), '[  x   ] []');
    assert.equal(r('{{truncate "abcdef" 3}} {{truncate "abc" 5}} {{truncate "abc" 3}}'), 'abc abc abc');
  });

  it('headerFuncs leave column titles intact', () => {
    const t = parseTemplate('{{upper .Name}}\t{{json .Labels}}\t{{truncate .ID 3}}\t{{join .Names ","}}\t{{pad .X 1 1}}');
    const header = { Name: 'NAME', Labels: 'LABELS', ID: 'CONTAINER ID', Names: 'NAMES', X: 'X' };
    assert.equal(t.execute(header, headerFuncs), 'NAME\tLABELS\tCONTAINER ID\tNAMES\t X ');
    const row = { Name: 'web', Labels: { a: '1' }, ID: 'abcdef', Names: ['x', 'y'], X: 'v' };
    assert.equal(t.execute(row), 'WEB\t{"a":"1"}\tabc\tx,y\t v ');
  });

  it('extra functions are available and override builtins', () => {
    assert.equal(renderTemplate('{{double 4}}', {}, { double: (n: number) => n * 2 }), '8');
    assert.equal(renderTemplate('{{upper "x"}}', {}, { upper: () => 'overridden' }), 'overridden');
  });
});

describe('go-template: printf (Go fmt, docker-verified)', () => {
  const cases: Array<[string, string]> = [
    ['{{printf "%q %x %X %5s|%-5s|%.2f %t %v %d" "a\\tb" "hi" 255 "ab" "ab" 3.14159 true nil 42}}', '"a\\tb" 6869 FF    ab|ab   |3.14 true <nil> 42'],
    ['{{printf "%d %s"}} {{printf "%d" 1 2}} {{printf "%d" "x"}} {{printf "%s" 1.5}}', '%!d(MISSING) %!s(MISSING) 1%!(EXTRA int=2) %!d(string=x) %!s(float64=1.5)'],
    ['{{printf "%6.2f|%-8.3e|%g|%g|%g|%v|%v|%v" 3.14159 1234.5 0.00001 1e21 100000.0 1e20 0.000012 1.5e-7}}', '  3.14|1.234e+03|1e-05|1e+21|100000|1e+20|1.2e-05|1.5e-07'],
    ['{{printf "%x|%X|%o|%b|%c|%U|%08.3f|%+d|%5d|%-5d|%05d|%q|%v" -255 "Hi" 8 5 65 65 3.14159 5 42 42 -42 65 "x"}}', '-ff|4869|10|101|A|U+0041|0003.142|+5|   42|42   |-0042|\'A\'|x'],
    ['{{printf "%5.1s|%.3s|%q|%#v|%T|%T|%T" "abc" "abcdef" "é\\x01" "s" 1 "s" 1.5}}', '    a|abc|"é\\x01"|"s"|int|string|float64'],
    ['{{printf "%s %v" (split "a,b" ",") (split "a,b" ",")}} {{printf "%d" (split "1" ",")}} {{printf "%%|%z" 1}}', '[a b] [a b] [%!d(string=1)] %|%!z(int=1)'],
    ['{{printf "%05s|%-05d|%+.1e|% d|%x|%X|% x|%#x|%08.3f|%+v|%6.2v|%.0f|%.0f|%.1f|%5t|%-7v|" "ab" 3 12345.678 5 "é" "hi" "hi" 255 -3.14159 5 3.14159 0.5 1.5 0.25 true nil}}', '000ab|3    |+1.2e+04| 5|c3a9|6869|68 69|0xff|-003.142|5|   3.1|0|2|0.2| true|<nil>  |'],
    ['{{printf "%d|%s|%v|%q|%5v|%x" (split "a,b" ",") (split "a,b" ",") (split "" ",") (split "é,\\x01" ",") (split "a,b" ",") (split "ab,c" ",")}}', '[%!d(string=a) %!d(string=b)]|[a b]|[]|["é" "\\x01"]|[    a     b]|[6162 63]'],
    ['{{printf "%q|%+q|%#q|%q|%c|%q|%U|%#U" "é\\u2028\\U0001F600\\x7f" "é" "a`b" "ab" 233 233 128512 233}}', '"é\\u2028😀\\x7f"|"\\u00e9"|"a`b"|"ab"|é|\'é\'|U+1F600|U+00E9 \'é\''],
    ['{{printf "%*d|%-*d|%.*f|%[2]d %[1]d|%!|%" 5 1 4 2 2 3.14159 7 8}}', '    1|2   |3.14|1 5|%!!(int=1)|%!(NOVERB)'],
    ['{{printf "%e|%E|%G|%.3g|%.3g|%g|%.0e|%#g|%10.4g|" 0.0 1e-10 1e-10 1234567.5 0.00012345 1e100 5.5 1.5 3.14159}}', '0.000000e+00|1.000000E-10|1E-10|1.23e+06|0.000123|1e+100|6e+00|1.50000|     3.142|'],
    ['{{printf "%.2f %g %.3f %.1f %.2f %.0f %.0f" 2.675 1e-5 1.0005 0.05 1.005 2.5 3.5}}', '2.67 1e-05 1.000 0.1 1.00 2 4'],
    ['{{printf "%#o|%#b|%O|%x|%X|%#X|% d|%+d|%08d|%-8d|%8.3d|%.0d|" 8 5 8 3735928559 3735928559 255 5 -5 -42 42 7 0}}', '010|0b101|0o10|deadbeef|DEADBEEF|0XFF| 5|-5|-0000042|42      |     007||'],
    ['{{printf "%v %v" nil nil}} {{printf "%s" nil}} {{print nil 1 "a" nil}}', '<nil> <nil> %!s(<nil>) <nil> 1a<nil>'],
    ['{{printf "%10.3q|%-10q|%x|% X|%#x" "abcdef" "a" "" "héllo" "ab"}}', '     "abc"|"a"       ||68 C3 A9 6C 6C 6F|0x6162'],
    ['{{printf "%-+5d|%+-5d|% 05d|%x" 3 3 3 -1}}', '+3   |+3   | 0003|-1'],
    ['{{printf "%v|%v|%v|%v" 1234567.5 123456.5 0.0001 0.00001}}', '1.2345675e+06|123456.5|0.0001|1e-05'],
  ];
  for (const [tmpl, want] of cases) {
    it(tmpl, () => assert.equal(r(unescapeFormat(tmpl)), want));
  }

  it('is exported as sprintf with Go rounding', () => {
    assert.equal(sprintf('%.4g%s', 10.125, 'kB'), '10.12kB');
    assert.equal(sprintf('%5.1f|%-6d|%s', 2.25, 42, 'x'), '  2.2|42    |x');
    assert.equal(sprintf('%v %v', [1, 'a'], { b: true, a: null }), '[1 a] map[a:<nil> b:true]');
  });
});

describe('go-template: float formatting helpers', () => {
  it('rounds the exact binary value half to even', () => {
    assert.equal(formatFloat(0.125, 'f', 2), '0.12');
    assert.equal(formatFloat(0.375, 'f', 2), '0.38');
    assert.equal(formatFloat(2.5, 'f', 0), '2');
    assert.equal(formatFloat(1234.5, 'e', 3), '1.234e+03');
    assert.equal(formatFloat(9.9999, 'f', 2), '10.00');
    assert.equal(formatFloat(0.0009, 'f', 3), '0.001');
  });
  it('formats shortest, special values and %v', () => {
    assert.equal(formatFloat(0.1, 'g'), '0.1');
    assert.equal(formatFloat(1e21, 'g'), '1e+21');
    assert.equal(formatFloat(-Infinity, 'g'), '-Inf');
    assert.equal(formatValue(NaN), 'NaN');
    assert.equal(formatValue(Infinity), '+Inf');
    assert.equal(formatValue(new Date('2024-01-02T03:04:05.120Z')), '2024-01-02 03:04:05.12 +0000 UTC');
  });
  it('quotes like strconv.Quote', () => {
    assert.equal(goQuote('a"b\\c\n\x00é\u00a0'), '"a\\"b\\\\c\\n\\x00é\\u00a0"');
  });
});

describe('go-template: parse errors (docker-verified wording)', () => {
  const cases: Array<[string, string]> = [
    ['{{}}', 'missing value for command'],
    ['{{.Name ,}}', 'unexpected "," in operand'],
    ['{{"x".Foo}}', 'unexpected . after term "\\"x\\""'],
    ['{{foo}}', 'function "foo" not defined'],
    ['{{$x}}', 'undefined variable "$x"'],
    ['{{if}}', 'missing value for if'],
    ['{{if .Name}}', 'unexpected EOF'],
    ['{{end}}', 'unexpected {{end}}'],
    ['{{else}}', 'unexpected {{else}}'],
    ['{{.Name}', "bad character U+007D '}'"],
    ['{{ /* c */ }}', 'unexpected "/" in command'],
    ['{{(.Name}}', 'unclosed left paren'],
    ['{{.Name)}}', 'unexpected right paren'],
    ['{{3x}}', 'bad number syntax: "3x"'],
    ['{{"abc}}', 'unterminated quoted string'],
    ['{{`abc', 'unterminated raw quoted string'],
    ['{{/* abc', 'unclosed comment'],
    ['{{/* abc */ }}', 'comment ends before closing delimiter'],
    ['{{@}}', 'unexpected "@" in command'],
    ['{{break}}', '{{break}} outside {{range}}'],
    ['{{range $a, $b, $c := .Name}}{{end}}', 'too many declarations in range'],
    ['{{"\\q"}}', 'invalid syntax'],
    ["{{'ab'}}", "malformed character constant: 'ab'"],
    ['{{if 1}}a{{else}}b{{else}}c{{end}}', 'expected end; found {{else}}'],
    ['{{define "x"}}a{{end}}{{define "x"}}b{{end}}', 'template: multiple definition of template "x"'],
    ['{{$x:=1}}{{$x=2}}', "bad character U+003D '='"],
    ['{{.Name', 'unclosed action'],
    ['{{"a" | "b"}}', 'non executable command in pipeline stage 2'],
  ];
  for (const [tmpl, msg] of cases) {
    it(tmpl, () => fails(tmpl, `template parsing error: template: :1: ${msg}`));
  }

  it('reports the line of a later error', () => {
    fails('line1\n{{.A}}\n{{nope}}', 'template parsing error: template: :3: function "nope" not defined');
  });

  it('reports exec errors with line:col as Go does', () => {
    fails(
      '{{.Name}}{{template "x"}}',
      'template parsing error: template: :1:20: executing "" at <{{template "x"}}>: template "x" not defined',
    );
    fails('{{nil}}', 'template parsing error: template: :1:2: executing "" at <nil>: nil is not a command');
    fails(
      'ab\ncd {{index .List 9}}',
      'template parsing error: template: :2:5: executing "" at <index .List 9>: error calling index: index out of range: 9',
    );
  });

  it('fails at parse time, before any execution', () => {
    assert.throws(() => parseTemplate('{{nope}}'), InvalidParameterError);
  });
});

describe('go-template: parse once, execute many', () => {
  it('reuses one parsed template per row', () => {
    const t = parseTemplate('{{.ID}}:{{join .Names ","}}');
    assert.equal(t.execute({ ID: 'a', Names: ['x'] }), 'a:x');
    assert.equal(t.execute({ ID: 'b', Names: ['y', 'z'] }), 'b:y,z');
  });
  it('passes a piped value last, as Go does', () => {
    // `.Names | join ","` is join("," , .Names): the wrong argument order for join.
    fails(
      '{{.List | join ","}}',
      `template parsing error: template: :1:15: executing "" at <",">: can't handle "," for arg of type []string`,
    );
  });
  it('renders an empty template as empty output', () => {
    assert.equal(r(''), '');
  });
});

describe('docker format helpers', () => {
  it('recognises table and json formats', () => {
    assert.equal(isTableFormat('table {{.ID}}'), true);
    assert.equal(isTableFormat('tablex'), true);
    assert.equal(isTableFormat(' table'), false);
    assert.equal(isJSONFormat('json'), true);
    assert.equal(isJSONFormat('{{json .}}'), false);
  });

  it('strips the table keyword and surrounding spaces', () => {
    assert.equal(stripTablePrefix('table {{.ID}}\t{{.Image}}  '), '{{.ID}}\t{{.Image}}');
    assert.equal(stripTablePrefix('  {{.ID}} '), '{{.ID}}');
  });

  it('turns typed \\t and \\n into tab and newline', () => {
    assert.equal(unescapeFormat('{{.ID}}\\t{{.Image}}\\n'), '{{.ID}}\t{{.Image}}\n');
    assert.equal(unescapeFormat('a\\\\tb'), 'a\\\tb');
    assert.equal(unescapeFormat('\\x'), '\\x');
  });

  it('prepares a format as docker does', () => {
    assert.equal(prepareFormat('table {{.ID}}\\t{{.Names}} '), '{{.ID}}\t{{.Names}}');
    assert.equal(prepareFormat('json'), '{{json .}}');
    assert.equal(prepareFormat(' {{.ID}} '), '{{.ID}}');
  });

  it('renders a docker table header and rows', () => {
    const fmt = 'table {{.ID}}\\t{{.Image}}';
    assert.ok(isTableFormat(fmt));
    const t = parseTemplate(prepareFormat(fmt));
    assert.equal(t.execute({ ID: 'CONTAINER ID', Image: 'IMAGE' }, headerFuncs), 'CONTAINER ID\tIMAGE');
    assert.equal(t.execute({ ID: 'abc', Image: 'nginx' }), 'abc\tnginx');
  });
});

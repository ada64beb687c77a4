'use strict';

// Hand-written protobuf encoding for the SDK driver: a serialized
// google.protobuf.DescriptorProto built from a small message spec, and proto2
// records encoded against the same spec. No dependencies, so the only npm
// package the tests need is the SDK itself (protobufjs would also add
// `options {packed: true}` to every scalar field, which we do not want).
//
// A message spec is
//
//   {name: 'Row', fields: [{name, number, label, type, typeName?}], nested?: [spec, ...]}
//
// label: 'required' | 'optional' | 'repeated' (default 'optional').
// type:  'double' | 'float' | 'int64' | 'uint64' | 'int32' | 'fixed64' |
//        'fixed32' | 'bool' | 'string' | 'bytes' | 'uint32' | 'sfixed32' |
//        'sfixed64' | 'sint32' | 'sint64' | 'message'.
// A 'message' field names a message of `nested` (at any depth) in typeName,
// either bare ('Inner') or qualified ('Row.Inner' / '.Row.Inner'); the
// descriptor carries the name as written.

// FieldDescriptorProto.Type numbers.
const TYPES = {
  double: 1,
  float: 2,
  int64: 3,
  uint64: 4,
  int32: 5,
  fixed64: 6,
  fixed32: 7,
  bool: 8,
  string: 9,
  message: 11,
  bytes: 12,
  uint32: 13,
  sfixed32: 15,
  sfixed64: 16,
  sint32: 17,
  sint64: 18,
};

// FieldDescriptorProto.Label numbers.
const LABELS = { optional: 1, required: 2, repeated: 3 };

// Wire types.
const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

const MASK64 = (1n << 64n) - 1n;

// Writer accumulates protobuf bytes.
class Writer {
  constructor() {
    this.parts = [];
  }

  varint(v) {
    let n = BigInt.asUintN(64, BigInt(v));
    const out = [];
    while (n >= 0x80n) {
      out.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    out.push(Number(n));
    this.parts.push(Buffer.from(out));
  }

  tag(number, wire) {
    this.varint((BigInt(number) << 3n) | BigInt(wire));
  }

  bytes(number, buf) {
    this.tag(number, LEN);
    this.varint(buf.length);
    this.parts.push(Buffer.from(buf));
  }

  string(number, s) {
    this.bytes(number, Buffer.from(String(s), 'utf8'));
  }

  finish() {
    return Buffer.concat(this.parts);
  }
}

function fieldType(f) {
  const t = TYPES[f.type];
  if (t === undefined) {
    throw new Error(`field ${f.name}: unsupported type ${JSON.stringify(f.type)}`);
  }
  return t;
}

function fieldLabel(f) {
  const l = LABELS[f.label || 'optional'];
  if (l === undefined) {
    throw new Error(`field ${f.name}: unsupported label ${JSON.stringify(f.label)}`);
  }
  return l;
}

function encodeFieldDescriptor(f) {
  if (typeof f.name !== 'string' || !Number.isInteger(f.number) || f.number < 1) {
    throw new Error(`bad field spec ${JSON.stringify(f)}`);
  }
  const w = new Writer();
  w.string(1, f.name); // name
  w.tag(3, VARINT); // number
  w.varint(f.number);
  w.tag(4, VARINT); // label
  w.varint(fieldLabel(f));
  w.tag(5, VARINT); // type
  w.varint(fieldType(f));
  if (f.type === 'message') {
    if (!f.typeName) {
      throw new Error(`field ${f.name}: type 'message' needs typeName`);
    }
    w.string(6, f.typeName); // type_name
  }
  return w.finish();
}

// descriptorProto returns the serialized google.protobuf.DescriptorProto of spec.
function descriptorProto(spec) {
  if (!spec || typeof spec.name !== 'string' || !Array.isArray(spec.fields)) {
    throw new Error('message spec needs name and fields');
  }
  const w = new Writer();
  w.string(1, spec.name); // name
  for (const f of spec.fields) {
    w.bytes(2, encodeFieldDescriptor(f)); // field
  }
  for (const n of spec.nested || []) {
    w.bytes(3, descriptorProto(n)); // nested_type
  }
  return w.finish();
}

// descriptorB64 returns descriptorProto(spec) in base64, the form the SDK's
// TableProperties.descriptorProto takes.
function descriptorB64(spec) {
  return descriptorProto(spec).toString('base64');
}

function toBigInt(v, what) {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`${what}: ${v} is not an integer`);
    return BigInt(v);
  }
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return BigInt(v.trim());
  throw new Error(`${what}: cannot use ${JSON.stringify(v)} as an integer`);
}

function toBytes(v, what) {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array || Array.isArray(v)) return Buffer.from(v);
  if (typeof v === 'string') return Buffer.from(v, 'base64');
  throw new Error(`${what}: bytes must be base64 text, an array of octets or a Buffer`);
}

// findNested resolves typeName among the nested specs of the chain of scopes.
function findNested(scopes, typeName) {
  const parts = typeName.replace(/^\./, '').split('.');
  const last = parts[parts.length - 1];
  for (let i = scopes.length - 1; i >= 0; i--) {
    for (const n of scopes[i].nested || []) {
      if (n.name === last) return n;
    }
  }
  throw new Error(`message type ${typeName} not found in nested specs`);
}

function encodeValue(w, f, v, scopes) {
  const what = `field ${f.name}`;
  switch (f.type) {
    case 'int32':
    case 'int64':
    case 'uint32':
    case 'uint64':
      w.tag(f.number, VARINT);
      w.varint(toBigInt(v, what));
      return;
    case 'bool':
      w.tag(f.number, VARINT);
      w.varint(v === true || v === 1 || v === 'true' ? 1 : 0);
      return;
    case 'sint32':
    case 'sint64': {
      const n = toBigInt(v, what);
      w.tag(f.number, VARINT);
      w.varint(((n << 1n) ^ (n < 0n ? MASK64 : 0n)) & MASK64);
      return;
    }
    case 'double': {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(Number(v));
      w.tag(f.number, I64);
      w.parts.push(b);
      return;
    }
    case 'float': {
      const b = Buffer.alloc(4);
      b.writeFloatLE(Number(v));
      w.tag(f.number, I32);
      w.parts.push(b);
      return;
    }
    case 'fixed64':
    case 'sfixed64': {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt.asUintN(64, toBigInt(v, what)));
      w.tag(f.number, I64);
      w.parts.push(b);
      return;
    }
    case 'fixed32':
    case 'sfixed32': {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(Number(BigInt.asUintN(32, toBigInt(v, what))));
      w.tag(f.number, I32);
      w.parts.push(b);
      return;
    }
    case 'string':
      w.string(f.number, v);
      return;
    case 'bytes':
      w.bytes(f.number, toBytes(v, what));
      return;
    case 'message': {
      const spec = findNested(scopes, f.typeName);
      w.bytes(f.number, encodeMessage(spec, v, scopes.concat([spec])));
      return;
    }
    default:
      fieldType(f); // throws
  }
}

function encodeMessage(spec, obj, scopes) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new Error(`message ${spec.name}: record must be an object`);
  }
  const w = new Writer();
  for (const f of spec.fields) {
    const v = obj[f.name];
    if (v === undefined || v === null) continue;
    if ((f.label || 'optional') === 'repeated') {
      if (!Array.isArray(v)) throw new Error(`field ${f.name}: repeated value must be an array`);
      for (const e of v) encodeValue(w, f, e, scopes); // proto2: unpacked
    } else {
      encodeValue(w, f, v, scopes);
    }
  }
  return w.finish();
}

// encodeRecord returns obj serialized as a proto2 message of spec. Absent or
// null fields are omitted; int64-like values may be numbers, decimal strings
// or BigInts; bytes are base64 text.
function encodeRecord(spec, obj) {
  return encodeMessage(spec, obj, [spec]);
}

module.exports = { descriptorProto, descriptorB64, encodeRecord };

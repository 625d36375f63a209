import { createRequire } from 'node:module';
import type * as Proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

/**
 * Temporal's history JSON (the format of `historyToJSON` and `temporal workflow show --output json`).
 * The SDK's own `historyToJSON`/`historyFromJSON` fail in this install ("type must be a Type"):
 * @temporalio/common and @temporalio/proto each carry their own copy of protobufjs 8, so the common
 * package's protojson does not recognise the proto package's types. This uses the proto package's copy.
 */
type ProtoType = { fromObject(o: unknown): unknown };
const requireHere = createRequire(__filename);
// The CommonJS module itself (an ES namespace wrapper would hide the nested proto namespaces from the lookup).
const proto = requireHere('@temporalio/proto') as typeof Proto;
const { fromJson, toJson } = createRequire(requireHere.resolve('@temporalio/proto'))('protobufjs/ext/protojson') as {
  fromJson: (type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }) => unknown;
  toJson: (type: unknown, message: unknown) => unknown;
};
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): ProtoType }).lookupType(
  'temporal.api.history.v1.History',
);

export type History = Proto.temporal.api.history.v1.IHistory;

export function historyToJson(history: History): unknown {
  return toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history));
}

export function historyFromJson(json: unknown): History {
  return fromJson(historyType, json, { ignoreUnknownFields: true }) as History;
}

// What a client may send the core, described as plain data. shared/ imports nothing, so the contract
// cannot hold zod schemas; it holds these descriptions, and the core turns them into its validator
// (main/core/control/wire.ts). `SchemaFor<T>` ties a description to the type it checks, so a
// method's argument types and what the wire accepts cannot drift apart.

/** Text of bounded length. */
export interface TextSchema {
  readonly type: 'text';
  readonly minLength: number;
  readonly maxLength: number;
}

/** One of a few words. */
export interface ChoiceSchema<T extends string = string> {
  readonly type: 'choice';
  readonly values: readonly T[];
}

/** A number; with `integer`, a whole one; within the bounds given. */
export interface NumberSchema {
  readonly type: 'number';
  readonly integer?: boolean;
  readonly min?: number;
  readonly max?: number;
}

/** An object with exactly these fields: any other field is refused. */
export interface ObjectSchema<Fields> {
  readonly type: 'object';
  readonly fields: Fields;
}

/** Any description, as the validator reads it. */
export type Schema = TextSchema | ChoiceSchema | NumberSchema | ObjectSchema<Readonly<Record<string, FieldSchema>>>;

/** A field's description; `optional` when the value may leave it out. */
export type FieldSchema = Schema & { readonly optional?: boolean };

/** The descriptions that fit a value of type T: text or a choice for strings, an object with every field of T described. */
export type SchemaFor<T> = [T] extends [number]
  ? NumberSchema
  : [T] extends [string]
    ? string extends T
      ? TextSchema
      : ChoiceSchema<T>
    : [T] extends [object]
      ? ObjectSchema<FieldsFor<T>>
      : never;

/** Every field of T, marked optional exactly when T's is. */
type FieldsFor<T> = {
  readonly [K in keyof T]-?: undefined extends T[K]
    ? SchemaFor<Exclude<T[K], undefined>> & { readonly optional: true }
    : SchemaFor<T[K]> & { readonly optional?: false };
};

/** The descriptions of an argument list, one per argument. */
export type ArgsSchema<Args extends unknown[]> = { [I in keyof Args]: SchemaFor<Args[I]> };

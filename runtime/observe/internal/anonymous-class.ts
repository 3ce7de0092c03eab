// Classes checked with `instanceof` on every message are made anonymous, through a factory.
// Run through tsx (esbuild's keepNames), a named class gets its `name` redefined after creation,
// which puts the constructor in dictionary mode; V8 then takes the generic path for `instanceof`
// against it (~30 ns, against ~2 for a constructor in fast mode). An anonymous class is left alone.

/** @internal Returns the class `make` builds (write `anonymousClass(() => class { … })`). */
export function anonymousClass<C>(make: () => C): C {
  return make();
}

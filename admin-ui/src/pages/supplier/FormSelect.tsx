// An antd Select for a required form field: Form.Item puts `aria-required` on the control,
// which a Select renders on its wrapping <div> (no role: axe refuses it); here it goes on the
// combobox input, where it means something to a screen reader.
import { Select, type SelectProps } from 'antd';
import { useEffect, useRef } from 'react';

export default function FormSelect(props: SelectProps & { 'aria-required'?: boolean | 'true' | 'false' }) {
  const { 'aria-required': required, ...rest } = props;
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const input = box.current?.querySelector('input[role="combobox"]');
    if (!input) return;
    if (required === true || required === 'true') input.setAttribute('aria-required', 'true');
    else input.removeAttribute('aria-required');
  });
  return (
    <div ref={box}>
      <Select {...rest} />
    </div>
  );
}

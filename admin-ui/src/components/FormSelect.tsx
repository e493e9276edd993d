// An antd Select for a required form field: Form.Item gives the control `aria-required`,
// which a Select renders on its wrapping <div> (no role there: axe refuses it); here it moves
// to the combobox input, where a screen reader reads it.
import { Select, type SelectProps } from 'antd';
import { useEffect, useRef } from 'react';

export default function FormSelect(props: SelectProps & { 'aria-required'?: boolean | 'true' | 'false' }) {
  const { 'aria-required': required, ...rest } = props;
  const box = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    const input = box.current?.querySelector('input[role="combobox"]');
    if (!input) return;
    if (required === true || required === 'true') input.setAttribute('aria-required', 'true');
    else input.removeAttribute('aria-required');
  });
  return (
    <span ref={box} style={{ display: 'contents' }}>
      <Select {...rest} />
    </span>
  );
}
